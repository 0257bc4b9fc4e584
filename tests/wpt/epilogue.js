// Runs after WPT's testharness.js and before the test file: puts back what
// the prelude hid and gathers results as the harness reports them.
for (const [owner, name, descriptor] of wptHidden) {
  Object.defineProperty(owner, name, descriptor);
}
const wptResults = [];
globalThis.wptDone = new Promise((resolve) => {
  add_result_callback((test) => {
    // Names and messages may hold lone surrogates, which JSON readers refuse.
    const text = (value) => (value == null ? null : String(value).toWellFormed());
    wptResults.push({ name: text(test.name), status: test.format_status(), message: text(test.message) });
  });
  add_completion_callback((_tests, harness) => {
    resolve({ harness: harness.format_status(), message: harness.message == null ? null : String(harness.message), tests: wptResults });
  });
});
// The results so far, when the script throws or the runner gives up.
globalThis.wptPartial = (harness, message) => ({ harness, message, tests: wptResults });
