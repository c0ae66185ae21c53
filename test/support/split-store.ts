/**
 * A store whose reads are served by a separate reader object: how the contract suites cover both
 * halves of a store split into a read side (what the read routes bundle) and a write side
 * extending it. Every method named in `reads` is the reader's; every other is the store's.
 */
export function withReadsFrom<Store extends object, Key extends keyof Store>(store: Store, reader: Pick<Store, Key>, reads: readonly Key[]): Store {
  return new Proxy(store, {
    get(target, key, receiver) {
      if ((reads as readonly PropertyKey[]).includes(key)) {
        const method = reader[key as Key] as unknown as (...args: unknown[]) => unknown;
        return method.bind(reader);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
