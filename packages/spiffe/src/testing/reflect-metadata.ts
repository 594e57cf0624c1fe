/**
 * @peculiar/x509 2.x loads tsyringe, which throws at import time unless a `Reflect.getMetadata`
 * polyfill ("reflect-metadata") is installed first. This is the minimal subset tsyringe uses,
 * installed only when no polyfill is present, and only by the test helpers: production code of
 * this package never loads @peculiar/x509.
 */
type MetadataMap = Map<unknown, unknown>;
const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();

function table(target: object, property: PropertyKey | undefined, create: boolean): MetadataMap | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let map = byProperty.get(property);
  if (!map && create) {
    map = new Map();
    byProperty.set(property, map);
  }
  return map;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect['getMetadata'] !== 'function') {
  const getOwnMetadata = (key: unknown, target: object, property?: PropertyKey): unknown =>
    table(target, property, false)?.get(key);
  const getMetadata = (key: unknown, target: object, property?: PropertyKey): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const map = table(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  const defineMetadata = (key: unknown, value: unknown, target: object, property?: PropertyKey): void => {
    table(target, property, true)?.set(key, value);
  };
  Object.assign(reflect, {
    getOwnMetadata,
    getMetadata,
    defineMetadata,
    hasOwnMetadata: (key: unknown, target: object, property?: PropertyKey): boolean =>
      table(target, property, false)?.has(key) ?? false,
    hasMetadata: (key: unknown, target: object, property?: PropertyKey): boolean =>
      getMetadata(key, target, property) !== undefined,
    metadata:
      (key: unknown, value: unknown) =>
      (target: object, property?: PropertyKey): void =>
        defineMetadata(key, value, target, property),
  });
}

export {};
