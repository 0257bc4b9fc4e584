import { Child } from "hono/jsx";

export const Layout = ({ title, children }: { title: string; children?: Child }) => (
  <html>
    <head>
      <title>{title}</title>
    </head>
    <body>
      <h1>{title}</h1>
      {children}
    </body>
  </html>
);
