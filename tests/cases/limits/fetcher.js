// Fetches ?n= times from ?target= and reports how far it got.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n"));
    const target = url.searchParams.get("target");
    let done = 0;
    try {
      for (let i = 0; i < n; i++) {
        const response = await fetch(`${target}/sub/${i}`);
        await response.text();
        done++;
      }
      return new Response(`fetched ${done}\n`);
    } catch (error) {
      return new Response(`fetched ${done}, then ${error.message}\n`);
    }
  },
};
