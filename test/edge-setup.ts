// The edge project runs the web-standard code where Node's own globals are
// gone. vitest keeps `process` for itself; a static check in
// test/node/imports.test.ts covers it.
for (const name of ['Buffer', 'setImmediate', 'clearImmediate', 'global', 'require']) {
  Reflect.deleteProperty(globalThis, name);
}
