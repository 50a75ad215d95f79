// workerd's AsyncLocalStorage (compatibility flag nodejs_als), the part the harness uses.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
