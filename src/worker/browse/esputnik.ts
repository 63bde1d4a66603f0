// eSputnik / Yespo recommendation events through v1/event (docs/vendors/esputnik.md "Recommendation (browse)
// events"). Pure, in the vendor style: a canonical browse event in, the request out; a response in, delivered | retry |
// rejected out (the order module's classify). One event per call (eSputnik has no real-time batch), HTTP Basic
// with the API key, every param value a string and nested data JSON-encoded:
//   page     → pageViewed            page     = {"location": url}
//   product  → productViewed         product  = {"productId", "price", "isInStock"}, currencyCode
//   category → productCategoryViewed category = {"productCategoryId"}
//   cart     → cartUpdated           products = [{"productId", "quantity", "price", name, category, discount}],
//                                    currencyCode, recycleStateId (the cart state: new on every change)
// v1/event only reaches an existing contact, named by keyValue = email, else phone: a visitor without either is
// skipped ('anonymous'); no contact is created from browsing.
import type { Item } from '../event';
import { round } from '../order';
import { type ESputnikConfig, esputnik } from '../vendors/esputnik';
import type { Classified, VendorRequest, VendorResponse } from '../vendors/types';
import type { BrowseEvent, BrowseType } from './event';

export type BrowseEventType = 'pageViewed' | 'productViewed' | 'productCategoryViewed' | 'cartUpdated';
export const EVENT_TYPE: Readonly<Record<BrowseType, BrowseEventType>> = {
  page: 'pageViewed',
  product: 'productViewed',
  category: 'productCategoryViewed',
  cart: 'cartUpdated',
};

type Param = { name: string; value: string };
export type ESputnikBrowseBody = { eventTypeKey: BrowseEventType; keyValue: string; params: Param[] };

/** Digits only, as the order module and the docs' examples write phones. */
const digits = (phone: string | undefined): string | undefined => phone?.replace(/\D/g, '') || undefined;

/** A cart line: the docs' keys in their order; price per item, after its discount, as the canonical item has it. */
function toCartProduct(i: Item) {
  return {
    productId: i.id,
    quantity: i.quantity,
    price: i.price,
    name: i.name || undefined,
    // The most specific category, as the order module's items and the recommendations feed use.
    category: i.categories?.at(-1) || undefined,
    // "Discount amount per item", typed String in the docs' table.
    discount: i.discount !== undefined ? String(round(i.discount)) : undefined,
  };
}

/** The v1/event body for a browse event, or the reason it cannot be sent. */
export function toESputnikBrowse(e: BrowseEvent): ESputnikBrowseBody | 'anonymous' {
  const email = e.customer.email;
  const phone = digits(e.customer.phone);
  const keyValue = email ?? phone;
  if (!keyValue) return 'anonymous';
  // The docs' examples list phone, then email, then the event's own params.
  const params: Param[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) params.push({ name, value });
  };
  add('phone', phone);
  add('email', email);
  switch (e.type) {
    case 'page':
      add('page', JSON.stringify({ location: e.url }));
      break;
    case 'product': {
      const p = e.items[0];
      add('product', JSON.stringify({ productId: p?.id, price: p?.price, isInStock: e.in_stock }));
      add('currencyCode', e.currency);
      break;
    }
    case 'category':
      add('category', JSON.stringify({ productCategoryId: e.category }));
      break;
    case 'cart':
      // An emptied cart is sent as [] so eSputnik drops its abandoned-cart state too.
      add('products', JSON.stringify(e.items.map(toCartProduct)));
      add('currencyCode', e.currency);
      add('recycleStateId', e.cart_id);
      break;
  }
  return { eventTypeKey: EVENT_TYPE[e.type], keyValue, params };
}

/** `POST {base}/api/v1/event` for a browse event, or the skip reason. */
export function browseRequest(e: BrowseEvent, config: ESputnikConfig): Omit<VendorRequest, 'keys'> | 'anonymous' {
  const body = toESputnikBrowse(e);
  if (typeof body === 'string') return body;
  return {
    method: 'POST',
    url: `${config.baseUrl}/api/v1/event`,
    headers: { Authorization: config.authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** 2xx delivered; 408, 429, 5xx retry (with Retry-After); other 4xx rejected: the order module's rules. */
export const classifyBrowse = (res: VendorResponse): Classified => esputnik.classify(res);
