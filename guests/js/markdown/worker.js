// Markdown to HTML in JavaScript with `marked` from npm: the same work as
// the Rust guests (guests/rust/markdown-render), POST /render with
// {"markdown": "..."} answering {"html", "headings", "words"}.
import { marked } from "marked";

function inlineText(tokens) {
  return tokens.map((t) => (t.tokens ? inlineText(t.tokens) : t.text ?? "")).join("");
}

export default {
  async fetch(request) {
    let input;
    try {
      input = await request.json();
    } catch (error) {
      return Response.json({ error: `bad request body: ${error.message}` }, { status: 400 });
    }
    const tokens = marked.lexer(input.markdown);
    const headings = [];
    let words = 0;
    marked.walkTokens(tokens, (token) => {
      if (token.type === "heading" && token.depth <= 2) {
        headings.push(inlineText(token.tokens));
      }
      if (token.type === "text" || token.type === "codespan") {
        words += token.text.split(/\s+/).filter(Boolean).length;
      }
    });
    return Response.json({ html: marked.parser(tokens), headings, words });
  },
};
