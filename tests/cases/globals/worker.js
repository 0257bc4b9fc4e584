// Reports the shape of the global scope, to compare with workerd's.
export default {
  fetch() {
    const protoChain = [];
    for (
      let proto = Object.getPrototypeOf(globalThis);
      proto !== null && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      protoChain.push({
        ctor: proto.constructor?.name,
        names: Object.getOwnPropertyNames(proto).sort(),
      });
    }
    return Response.json({
      globalThisCtor: globalThis.constructor.name,
      own: Object.getOwnPropertyNames(globalThis).sort(),
      protoChain,
      navigator: {
        userAgent: navigator.userAgent,
        hardwareConcurrency: navigator.hardwareConcurrency,
        language: navigator.language,
      },
      hasDeno: typeof Deno !== "undefined",
      compatibilityFlags: Cloudflare.compatibilityFlags,
      selfIsGlobal: self === globalThis,
      uuid: crypto.randomUUID(),
      btoa: btoa("isola"),
      structuredClone: structuredClone({ a: [1, 2] }),
    });
  },
};
