// An ES module that CommonJS code requires.
export const shout = (text) => `${text.toUpperCase()}!`;
export default "format";
