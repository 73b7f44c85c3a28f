// The `promise-retry` API (a default-exported function) on top of its successor, @gar/promise-retry,
// which exports the same function by name. See promise-retry-shim.ts.
module.exports = require('@gar/promise-retry').promiseRetry;
