// HTMLRewriter throughput on a 1 MiB page (scripts/bench-rewriter):
//   /plain   the page as is, for the cost of serving 1 MiB
//   /parse   through HTMLRewriter with a selector that matches nothing
//   /links   every link rewritten by a JS handler (1 in each KiB)
//   /text    every text chunk of the <p>s seen by a JS handler

const PARAGRAPH =
  "<p class=\"copy\">Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod " +
  "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud " +
  "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor " +
  "in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.</p>\n";

function buildPage() {
  const parts = ["<!DOCTYPE html><html><head><title>Bench</title></head><body>\n"];
  let size = parts[0].length;
  for (let i = 0; size < 1024 * 1024; i++) {
    const block = `<div class="item"><a href="/item/${i}">Item ${i}</a>${PARAGRAPH}${PARAGRAPH}</div>\n`;
    parts.push(block);
    size += block.length;
  }
  parts.push("</body></html>\n");
  return new TextEncoder().encode(parts.join(""));
}

const PAGE = buildPage();

function page() {
  return new Response(PAGE, { headers: { "content-type": "text/html" } });
}

export default {
  fetch(request) {
    switch (new URL(request.url).pathname) {
      case "/parse":
        return new HTMLRewriter().on("blink", { element() {} }).transform(page());
      case "/links":
        return new HTMLRewriter()
          .on("a[href]", {
            element(link) {
              link.setAttribute("href", `https://shop.example${link.getAttribute("href")}`);
            },
          })
          .transform(page());
      case "/text":
        return new HTMLRewriter()
          .on("p", { text(chunk) { if (chunk.lastInTextNode) chunk.after("!"); } })
          .transform(page());
      default:
        return page();
    }
  },
};
