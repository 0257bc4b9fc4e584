// An A/B test at the edge: each visitor is put in variant "a" or "b" (kept
// in a cookie), the origin's page streams through HTMLRewriter, which
// points the site's own links at the variant's pages and adds the
// variant's banner at the end of the body.

const VARIANTS = ["a", "b"];

function variantOf(request) {
  const cookie = request.headers.get("cookie") ?? "";
  const chosen = /(?:^|;\s*)ab=([ab])/.exec(cookie)?.[1];
  return chosen ?? VARIANTS[Math.floor(Math.random() * VARIANTS.length)];
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const variant = variantOf(request);
    const upstream = await fetch(new URL(url.pathname + url.search, env.ORIGIN), {
      headers: { accept: "text/html" },
    });

    const rewritten = new HTMLRewriter()
      .on("a[href^='/']", {
        element(link) {
          link.setAttribute("href", `/${variant}${link.getAttribute("href")}`);
        },
      })
      .on("body", {
        element(body) {
          body.setAttribute("data-variant", variant);
          body.append(`<aside id="ab-banner">You are seeing variant ${variant}</aside>`, {
            html: true,
          });
        },
      })
      .on("h1", {
        // An async handler: the parser waits for it.
        async text(chunk) {
          if (chunk.lastInTextNode) {
            await scheduler.wait(1);
            chunk.after(variant === "b" ? " (new look)" : "");
          }
        },
      })
      .transform(upstream);

    rewritten.headers.append("set-cookie", `ab=${variant}; Path=/; SameSite=Lax`);
    return rewritten;
  },
};
