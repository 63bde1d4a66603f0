// GTM's data model (https://developers.google.com/tag-platform/tag-manager/datalayer#how_data_layer_information_is_processed):
// each push is merged into one model, plain objects key by key, so a `{ecommerce: null}` push resets the ecommerce
// data. Arrays replace here (GTM merges them index by index; an order's item list is always pushed whole). The snippet sends the container's object pushes before the
// order (envelope `m`); this rebuilds the model they made.
import { isObject, type Raw } from './common';

/** Merges `b` into a copy of `a`, GTM's way; `__proto__` keys stay plain data. */
function merge(a: Raw, b: Raw): Raw {
  const out: Raw = { ...a };
  for (const [k, x] of Object.entries(b)) {
    const value = isObject(x) && isObject(out[k]) ? merge(out[k] as Raw, x) : x;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The model the pushes make; a model object as such (a test, an older caller) is taken as it is. */
export function dataModel(pushes: unknown): Raw | undefined {
  if (isObject(pushes)) return pushes;
  if (!Array.isArray(pushes)) return undefined;
  let model: Raw = {};
  for (const push of pushes) if (isObject(push)) model = merge(model, push);
  return model;
}
