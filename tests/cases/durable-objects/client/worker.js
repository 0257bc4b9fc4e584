// Reaches the `counter` Worker's objects (this Worker does not export the
// class): the same ids, the same objects.
export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("name") ?? "default";
    const stub = env.COUNTER.getByName(name);
    const value = await stub.increment(10);
    const { count, id } = await stub.state();
    return Response.json({ value, count, id, same: id === stub.id.toString() });
  },
};
