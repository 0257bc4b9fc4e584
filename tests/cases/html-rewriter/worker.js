// HTMLRewriter's token API on a fixed page. /tokens rewrites with every
// kind of handler; /bad-selector reports the error `on()` throws;
// /throws has a handler that throws.

const PAGE = `<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head><title>Old</title></head>
<body><!-- note --><div id="main" class="x" data-drop="1"><span>keep me</span></div>
<p>one</p><p>two</p><img src="a.png"><em>unwrap</em><b>bold</b></body></html>`;

function page() {
  return new Response(PAGE, { headers: { "content-type": "text/html;charset=UTF-8", "content-length": String(PAGE.length) } });
}

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/bad-selector") {
      try {
        new HTMLRewriter().on("div:hover", { element() {} });
        return new Response("no error");
      } catch (error) {
        return new Response(`${error.constructor.name}: ${error.message}`);
      }
    }
    if (pathname === "/throws") {
      return new HTMLRewriter()
        .on("p", { element() { throw new Error("handler failed on purpose"); } })
        .transform(page());
    }

    const seen = [];
    let stale = null;
    const rewritten = new HTMLRewriter()
      .onDocument({
        doctype(doctype) {
          seen.push(`doctype ${doctype.name} ${doctype.publicId} ${doctype.systemId}`);
        },
        end(end) {
          try {
            stale.tagName;
            seen.push("stale token readable");
          } catch (error) {
            seen.push(`stale: ${error.constructor.name}`);
          }
          end.append(`<!-- ${seen.join(" | ")} -->`, { html: true });
        },
      })
      .on("title", { element(el) { el.setInnerContent("New <title> & more"); } })
      .on("div#main", {
        element(el) {
          seen.push(`div ${[...el.attributes].map(([n, v]) => `${n}=${v}`).join(",")}`);
          el.removeAttribute("data-drop");
          el.setAttribute("class", el.getAttribute("class") + " y");
          seen.push(`has ${el.hasAttribute("data-drop")} ${el.hasAttribute("id")}`);
          el.tagName = "section";
          el.prepend("<h2>Start</h2>", { html: true });
          el.append("<end>");
          el.onEndTag((end) => {
            seen.push(`end ${end.name}`);
            end.after("<hr>", { html: true });
          });
          stale = el;
        },
        comments(comment) {
          seen.push(`comment in div "${comment.text}"`);
        },
      })
      .on("body", {
        comments(comment) { comment.text = " rewritten "; },
      })
      .on("p", {
        async element(el) {
          await scheduler.wait(1);
          el.before("<i>before</i>", { html: true });
        },
        text(text) {
          if (text.text === "two") text.replace("TWO");
          if (text.lastInTextNode) seen.push(`p text ends`);
        },
      })
      .on("img", { element(el) { seen.push(`img removed ${el.removed}`); el.remove(); seen.push(`then ${el.removed}`); } })
      .on("em", { element(el) { el.removeAndKeepContent(); } })
      .on("b", { element(el) { el.replace("<strong>strong</strong>", { html: true }); } })
      .transform(page());
    return rewritten;
  },
};
