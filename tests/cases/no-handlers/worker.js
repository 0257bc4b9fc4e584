// A service-worker script that registers nothing.
const unused = 1;
