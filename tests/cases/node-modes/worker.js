// What a Worker gets of Node.js under each compatibility mode: the
// globals, and which imports load.
async function load(specifier) {
  try {
    await import(specifier);
    return "loaded";
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

export default {
  async fetch() {
    const imports = {};
    for (const specifier of ["node:buffer", "buffer", "node:async_hooks", "node:path/posix", "node:nonexistent"]) {
      imports[specifier] = await load(specifier);
    }
    return Response.json({
      globals: {
        Buffer: typeof globalThis.Buffer,
        process: typeof globalThis.process,
        global: typeof globalThis.global,
        setImmediate: typeof globalThis.setImmediate,
      },
      imports,
    });
  },
};
