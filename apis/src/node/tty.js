// node:tty — a Worker has no terminal: as in workerd, isatty() is false
// and ReadStream/WriteStream are socket-like objects that report no size
// or colours and whose cursor calls only run their callbacks. Their
// constructors set fields and do not open the underlying socket. They
// inherit from node:net's Socket; while this runtime has no node:net they
// inherit from EventEmitter instead.
(function () {
"use strict";
const { require } = globalThis[Symbol.for("isola.node")].enter("tty");

function socketClass() {
  try {
    return require("net").Socket;
  } catch {
    return require("events").EventEmitter;
  }
}
const Socket = socketClass();

function isatty() {
  return false;
}

function ReadStream(fd) {
  this.fd = fd;
  this.isRaw = false;
  this.isTTY = false;
  return this;
}
Object.setPrototypeOf(ReadStream.prototype, Socket.prototype);
Object.setPrototypeOf(ReadStream, Socket);

ReadStream.prototype.setRawMode = function setRawMode(mode) {
  this.isRaw = mode;
  return this;
};

function WriteStream(fd) {
  this.fd = fd;
  this.columns = 0;
  this.rows = 0;
  return this;
}
Object.setPrototypeOf(WriteStream.prototype, Socket.prototype);
Object.setPrototypeOf(WriteStream, Socket);

Object.assign(WriteStream.prototype, {
  isTTY: true,
  // 8 bits is what Node reports for 256 colours; hasColors() still says no.
  getColorDepth() {
    return 8;
  },
  hasColors() {
    return false;
  },
  _refreshSize() {},
  cursorTo(x, y, callback) {
    if (typeof y === "function") y();
    else if (typeof callback === "function") callback();
    return false;
  },
  moveCursor(dx, dy, callback) {
    if (typeof callback === "function") callback();
    return false;
  },
  clearLine(dir, callback) {
    if (typeof callback === "function") callback();
    return false;
  },
  clearScreenDown(callback) {
    if (typeof callback === "function") callback();
    return false;
  },
  getWindowSize() {
    return [this.columns ?? 0, this.rows ?? 0];
  },
});

return { isatty, ReadStream, WriteStream };
})();
