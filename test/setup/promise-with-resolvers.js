// aws-local-stepfunctions (the ASL interpreter the state-machine tests run) calls
// Promise.withResolvers, which Node.js has only from version 22; the project supports Node 20.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
