// A module Worker whose default export has no fetch handler.
export default {
  async scheduled() {},
};
