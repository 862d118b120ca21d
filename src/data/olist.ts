/**
 * Order history in the Olist e-commerce schema (the tables and columns of the public "Brazilian
 * E-Commerce Public Dataset by Olist"): the documented input format for users' own orders, items,
 * payments, reviews, customers, sellers and products (ARCHITECTURE.md, Data).
 *
 * Timestamps: the published files write `YYYY-MM-DD HH:MM:SS` with no zone. They are read as UTC
 * wall clock (epoch seconds = that calendar time at UTC), never in the machine's time zone, so the
 * same file gives the same numbers everywhere; add the true offset yourself if you know it (Olist's
 * are Brazilian local times, mostly UTC-3).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WaybillError } from '../errors.js';
import { defaultDataDir } from '../paths.js';
import { parseCsvRecords } from './csv.js';
import { parseDateTime, parseDecimal, readDataText } from './trajectory-loaders.js';

/** Environment variable naming the folder of Olist CSV files. */
export const OLIST_DIR_ENV = 'WAYBILL_OLIST_DIR';

export type OlistTableName =
  | 'orders'
  | 'orderItems'
  | 'payments'
  | 'reviews'
  | 'customers'
  | 'sellers'
  | 'products'
  | 'categoryTranslation'
  | 'geolocation';

/** The published file name of each table. */
export const OLIST_FILES: Readonly<Record<OlistTableName, string>> = {
  orders: 'olist_orders_dataset.csv',
  orderItems: 'olist_order_items_dataset.csv',
  payments: 'olist_order_payments_dataset.csv',
  reviews: 'olist_order_reviews_dataset.csv',
  customers: 'olist_customers_dataset.csv',
  sellers: 'olist_sellers_dataset.csv',
  products: 'olist_products_dataset.csv',
  categoryTranslation: 'product_category_name_translation.csv',
  geolocation: 'olist_geolocation_dataset.csv',
};

/** Every table carries `count` rows and `line`, the file line (1-based) each row starts on. */
interface Rows {
  count: number;
  line: Int32Array;
}

/** Times are epoch seconds (UTC wall clock); optional times are NaN when empty. */
export interface OlistOrders extends Rows {
  orderId: string[];
  customerId: string[];
  orderStatus: string[];
  orderPurchaseTimestamp: Float64Array;
  orderApprovedAt: Float64Array;
  orderDeliveredCarrierDate: Float64Array;
  orderDeliveredCustomerDate: Float64Array;
  orderEstimatedDeliveryDate: Float64Array;
}

export interface OlistOrderItems extends Rows {
  orderId: string[];
  /** 1, 2, ... within an order; (order_id, order_item_id) is the key. */
  orderItemId: Int32Array;
  productId: string[];
  sellerId: string[];
  shippingLimitDate: Float64Array;
  price: Float64Array;
  freightValue: Float64Array;
}

export interface OlistPayments extends Rows {
  orderId: string[];
  paymentSequential: Int32Array;
  paymentType: string[];
  paymentInstallments: Int32Array;
  paymentValue: Float64Array;
}

/** Key (review_id, order_id): the published file repeats some review ids across orders. */
export interface OlistReviews extends Rows {
  reviewId: string[];
  orderId: string[];
  reviewScore: Int32Array;
  /** '' when empty. */
  reviewCommentTitle: string[];
  reviewCommentMessage: string[];
  reviewCreationDate: Float64Array;
  reviewAnswerTimestamp: Float64Array;
}

export interface OlistCustomers extends Rows {
  customerId: string[];
  customerUniqueId: string[];
  /** Kept as text: leading zeros matter ("01001"). */
  customerZipCodePrefix: string[];
  customerCity: string[];
  customerState: string[];
}

export interface OlistSellers extends Rows {
  sellerId: string[];
  sellerZipCodePrefix: string[];
  sellerCity: string[];
  sellerState: string[];
}

/**
 * Numbers are NaN when empty. The published columns are spelt `product_name_lenght` and
 * `product_description_lenght`; they are read under those names into the fields below.
 */
export interface OlistProducts extends Rows {
  productId: string[];
  /** '' when empty. */
  productCategoryName: string[];
  /** From the category translation when it was loaded: '' when the category is empty or untranslated. */
  productCategoryNameEnglish: string[];
  productNameLength: Float64Array;
  productDescriptionLength: Float64Array;
  productPhotosQty: Float64Array;
  productWeightG: Float64Array;
  productLengthCm: Float64Array;
  productHeightCm: Float64Array;
  productWidthCm: Float64Array;
}

export interface OlistCategoryTranslation extends Rows {
  productCategoryName: string[];
  productCategoryNameEnglish: string[];
}

/** Many rows per zip prefix (no key). */
export interface OlistGeolocation extends Rows {
  geolocationZipCodePrefix: string[];
  geolocationLat: Float64Array;
  geolocationLng: Float64Array;
  geolocationCity: string[];
  geolocationState: string[];
}

/** One referential check between two tables that were both loaded. */
export interface OlistReferenceCheck {
  /** e.g. 'orderItems.seller_id -> sellers.seller_id'. */
  name: string;
  file: string;
  column: string;
  /** Rows whose value is not found in the referenced table. */
  count: number;
  /** The first such row (file line and value), when count > 0. */
  first?: { line: number; value: string };
}

export interface OlistData {
  dir: string;
  /** Tables read, and tables whose file is not in `dir` (their field below is undefined). */
  found: OlistTableName[];
  missing: OlistTableName[];
  orders?: OlistOrders;
  orderItems?: OlistOrderItems;
  payments?: OlistPayments;
  reviews?: OlistReviews;
  customers?: OlistCustomers;
  sellers?: OlistSellers;
  products?: OlistProducts;
  categoryTranslation?: OlistCategoryTranslation;
  geolocation?: OlistGeolocation;
  /** Every referential check run (those whose two tables were both loaded), failures counted. */
  references: OlistReferenceCheck[];
  /**
   * Products against the category translation (when both were loaded): products with a category
   * that has a translation, with an empty category, and with a category the translation lacks
   * (and those categories, sorted).
   */
  categories?: { translated: number; empty: number; untranslated: number; untranslatedNames: string[] };
}

export interface OlistOptions {
  /**
   * true (default): a dangling reference (an item's seller_id not among the sellers, ...) is
   * INVALID_ARGUMENT naming the file, line, column and value. false: counted in `references`.
   */
  strict?: boolean;
  /** Tables that must be present: NOT_FOUND naming the missing files otherwise. */
  require?: OlistTableName[];
}

type Kind = 'id' | 'text' | 'time' | 'optTime' | 'num' | 'optNum' | 'int' | 'lat' | 'lng';
interface Col {
  name: string;
  field: string;
  kind: Kind;
}
const c = (name: string, kind: Kind, field?: string): Col => ({
  name,
  kind,
  field: field ?? name.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()),
});

interface Spec {
  columns: Col[];
  /** Fields forming the primary key (none for geolocation). */
  key: string[];
}

const SPECS: Record<OlistTableName, Spec> = {
  orders: {
    columns: [
      c('order_id', 'id'),
      c('customer_id', 'id'),
      c('order_status', 'id'),
      c('order_purchase_timestamp', 'time'),
      c('order_approved_at', 'optTime'),
      c('order_delivered_carrier_date', 'optTime'),
      c('order_delivered_customer_date', 'optTime'),
      c('order_estimated_delivery_date', 'time'),
    ],
    key: ['order_id'],
  },
  orderItems: {
    columns: [
      c('order_id', 'id'),
      c('order_item_id', 'int'),
      c('product_id', 'id'),
      c('seller_id', 'id'),
      c('shipping_limit_date', 'time'),
      c('price', 'num'),
      c('freight_value', 'num'),
    ],
    key: ['order_id', 'order_item_id'],
  },
  payments: {
    columns: [
      c('order_id', 'id'),
      c('payment_sequential', 'int'),
      c('payment_type', 'id'),
      c('payment_installments', 'int'),
      c('payment_value', 'num'),
    ],
    key: ['order_id', 'payment_sequential'],
  },
  reviews: {
    columns: [
      c('review_id', 'id'),
      c('order_id', 'id'),
      c('review_score', 'int'),
      c('review_comment_title', 'text'),
      c('review_comment_message', 'text'),
      c('review_creation_date', 'time'),
      c('review_answer_timestamp', 'optTime'),
    ],
    key: ['review_id', 'order_id'],
  },
  customers: {
    columns: [
      c('customer_id', 'id'),
      c('customer_unique_id', 'id'),
      c('customer_zip_code_prefix', 'id'),
      c('customer_city', 'text'),
      c('customer_state', 'text'),
    ],
    key: ['customer_id'],
  },
  sellers: {
    columns: [c('seller_id', 'id'), c('seller_zip_code_prefix', 'id'), c('seller_city', 'text'), c('seller_state', 'text')],
    key: ['seller_id'],
  },
  products: {
    columns: [
      c('product_id', 'id'),
      c('product_category_name', 'text'),
      c('product_name_lenght', 'optNum', 'productNameLength'),
      c('product_description_lenght', 'optNum', 'productDescriptionLength'),
      c('product_photos_qty', 'optNum'),
      c('product_weight_g', 'optNum', 'productWeightG'),
      c('product_length_cm', 'optNum'),
      c('product_height_cm', 'optNum'),
      c('product_width_cm', 'optNum'),
    ],
    key: ['product_id'],
  },
  categoryTranslation: {
    columns: [c('product_category_name', 'id'), c('product_category_name_english', 'id')],
    key: ['product_category_name'],
  },
  geolocation: {
    columns: [
      c('geolocation_zip_code_prefix', 'id'),
      c('geolocation_lat', 'lat'),
      c('geolocation_lng', 'lng'),
      c('geolocation_city', 'text'),
      c('geolocation_state', 'text'),
    ],
    key: [],
  },
};

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/**
 * Epoch seconds of an Olist `YYYY-MM-DD HH:MM:SS` read as UTC wall clock; NaN when the text is not
 * exactly that or names no real time (month 13, February 30, hour 24).
 */
export function parseOlistTime(text: string): number {
  const t = text.trim();
  return TIME.test(t) ? parseDateTime(t, 0) : Number.NaN;
}

function bad(file: string, line: number, column: string | undefined, what: string, extra?: Record<string, unknown>): never {
  throw new WaybillError('INVALID_ARGUMENT', `${file}, line ${line}${column ? `, column ${column}` : ''}: ${what}`, {
    file,
    line,
    ...(column ? { field: column } : {}),
    ...extra,
  });
}

/**
 * Parses one Olist table's CSV text. `file` names it in errors (the published file name). The
 * header must hold every column of the table (extra columns are ignored; a UTF-8 BOM is dropped);
 * every row must have as many cells as the header. Errors are INVALID_ARGUMENT with
 * `details.file`, `details.line` and `details.field` (the column).
 */
export function parseOlistTable<T extends OlistTableName>(
  table: T,
  text: string,
  file: string = OLIST_FILES[table],
): NonNullable<OlistData[T]> {
  const spec = SPECS[table];
  let parsed: ReturnType<typeof parseCsvRecords>;
  try {
    parsed = parseCsvRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const e = err as WaybillError;
    return bad(file, Number(e.details?.line ?? 1), undefined, e.message);
  }
  const { rows, lines } = parsed;
  const header = (rows[0] ?? []).map((h) => h.trim());
  const missing = spec.columns.filter((col) => !header.includes(col.name)).map((col) => col.name);
  if (missing.length > 0) bad(file, 1, missing[0], `header lacks column(s) ${missing.join(', ')}`, { missing });
  // A column named twice would be read from its first copy only, the other silently ignored.
  const twice = spec.columns.find((col) => header.indexOf(col.name) !== header.lastIndexOf(col.name));
  if (twice) bad(file, 1, twice.name, `header names column ${twice.name} more than once`);
  const at = spec.columns.map((col) => header.indexOf(col.name));
  const n = rows.length - 1;
  const out: Record<string, unknown> = { count: n, line: new Int32Array(n) };
  for (const col of spec.columns) {
    out[col.field] =
      col.kind === 'id' || col.kind === 'text' ? new Array<string>(n) : col.kind === 'int' ? new Int32Array(n) : new Float64Array(n);
  }
  const keys = new Map<string, number>();
  const keyAt = spec.key.map((k) => spec.columns.findIndex((col) => col.name === k));
  for (let r = 0; r < n; r++) {
    const cells = rows[r + 1] as string[];
    const line = lines[r + 1] as number;
    (out.line as Int32Array)[r] = line;
    if (cells.length !== header.length) bad(file, line, undefined, `expected ${header.length} cells, got ${cells.length}`);
    for (let k = 0; k < spec.columns.length; k++) {
      const col = spec.columns[k] as Col;
      const raw = cells[at[k] as number] as string;
      const v = raw.trim();
      const target = out[col.field];
      switch (col.kind) {
        case 'id':
          if (v === '') bad(file, line, col.name, `${col.name} is empty`);
          (target as string[])[r] = v;
          break;
        case 'text':
          (target as string[])[r] = raw;
          break;
        case 'time':
        case 'optTime': {
          if (v === '' && col.kind === 'optTime') {
            (target as Float64Array)[r] = Number.NaN;
            break;
          }
          const t = parseOlistTime(v);
          if (!Number.isFinite(t)) bad(file, line, col.name, `${col.name} "${v}" is not a YYYY-MM-DD HH:MM:SS time`, { value: v });
          (target as Float64Array)[r] = t;
          break;
        }
        case 'num':
        case 'optNum':
        case 'lat':
        case 'lng': {
          if (v === '' && col.kind === 'optNum') {
            (target as Float64Array)[r] = Number.NaN;
            break;
          }
          const x = parseDecimal(v);
          if (!Number.isFinite(x)) bad(file, line, col.name, `${col.name} "${v}" is not a number`, { value: v });
          if ((col.kind === 'lat' && Math.abs(x) > 90) || (col.kind === 'lng' && Math.abs(x) > 180))
            bad(file, line, col.name, `${col.name} ${x} is out of range`, { value: v });
          (target as Float64Array)[r] = x;
          break;
        }
        case 'int': {
          const x = parseDecimal(v);
          if (!(Number.isInteger(x) && x >= 0 && x <= 2147483647))
            bad(file, line, col.name, `${col.name} "${v}" is not a non-negative integer`, { value: v });
          (target as Int32Array)[r] = x;
          break;
        }
      }
    }
    if (table === 'reviews') {
      const score = (out.reviewScore as Int32Array)[r] as number;
      if (score < 1 || score > 5) bad(file, line, 'review_score', `review_score ${score} is not 1..5`, { value: String(score) });
    }
    if (keyAt.length > 0) {
      // The parsed values, not the cells: order_item_id "1", "01" and "1.0" are the same item.
      const key = keyAt.map((k) => String((out[(spec.columns[k] as Col).field] as ArrayLike<unknown>)[r])).join('\u0000');
      const prev = keys.get(key);
      if (prev !== undefined)
        bad(
          file,
          line,
          spec.key.join('+'),
          `duplicate key ${spec.key.join(', ')} = ${key.split('\u0000').join(', ')} (first on line ${prev})`,
          {
            firstLine: prev,
          },
        );
      keys.set(key, line);
    }
  }
  return out as unknown as NonNullable<OlistData[T]>;
}

/** The folder read: `dir`, else WAYBILL_OLIST_DIR, else `<defaultDataDir()>/olist`. */
export function olistDir(dir?: string): string {
  return dir ?? process.env[OLIST_DIR_ENV] ?? join(defaultDataDir(), 'olist');
}

const TABLES = Object.keys(OLIST_FILES) as OlistTableName[];

/** (from table, column, from field) -> (to table, to field) for the referential checks. */
const REFERENCES: Array<[OlistTableName, string, string, OlistTableName, string]> = [
  ['orderItems', 'order_id', 'orderId', 'orders', 'orderId'],
  ['orderItems', 'product_id', 'productId', 'products', 'productId'],
  ['orderItems', 'seller_id', 'sellerId', 'sellers', 'sellerId'],
  ['orders', 'customer_id', 'customerId', 'customers', 'customerId'],
  ['payments', 'order_id', 'orderId', 'orders', 'orderId'],
  ['reviews', 'order_id', 'orderId', 'orders', 'orderId'],
];

/**
 * Reads whichever Olist CSV files are present in the folder (`dir`, else WAYBILL_OLIST_DIR, else
 * `<defaultDataDir()>/olist`) and says which tables were found and which are missing. A missing
 * folder, or one holding none of the files, is NOT_FOUND. Checks: each file's header (missing
 * columns named), each cell (ids non-empty, numbers and `YYYY-MM-DD HH:MM:SS` times well formed,
 * review scores 1..5; optional cells — approval / delivery / answer times, product measurements,
 * categories, review texts — may be empty), duplicate keys refused, and references between the
 * tables present (items to orders / products / sellers, orders to customers, payments and reviews
 * to orders): strict (default) refuses the first dangling one with its file, line and column;
 * lenient counts them in `references`. The category translation is joined onto the products.
 */
export function loadOlist(dir?: string, options: OlistOptions = {}): OlistData {
  const folder = olistDir(dir);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new WaybillError('NOT_FOUND', `Olist folder ${folder} is missing: pass a folder or set ${OLIST_DIR_ENV}`, { path: folder });
  const data: OlistData = { dir: folder, found: [], missing: [], references: [] };
  const record = data as unknown as Record<string, unknown>;
  for (const t of TABLES) {
    const path = join(folder, OLIST_FILES[t]);
    if (!existsSync(path)) {
      data.missing.push(t);
      continue;
    }
    record[t] = parseOlistTable(t, readDataText(path), OLIST_FILES[t]);
    data.found.push(t);
  }
  if (data.found.length === 0)
    throw new WaybillError('NOT_FOUND', `no Olist files in ${folder} (expected e.g. ${OLIST_FILES.orders})`, { path: folder });
  const absent = (options.require ?? []).filter((t) => !data.found.includes(t));
  if (absent.length > 0)
    throw new WaybillError('NOT_FOUND', `required Olist file(s) missing from ${folder}: ${absent.map((t) => OLIST_FILES[t]).join(', ')}`, {
      path: folder,
      missing: absent,
    });
  const strict = options.strict ?? true;
  for (const [from, column, field, to, toField] of REFERENCES) {
    const src = record[from] as (Rows & Record<string, unknown>) | undefined;
    const dst = record[to] as Record<string, unknown> | undefined;
    if (!src || !dst) continue;
    const known = new Set(dst[toField] as string[]);
    const values = src[field] as string[];
    const check: OlistReferenceCheck = { name: `${from}.${column} -> ${to}.${column}`, file: OLIST_FILES[from], column, count: 0 };
    for (let r = 0; r < src.count; r++) {
      const v = values[r] as string;
      if (known.has(v)) continue;
      const line = src.line[r] as number;
      if (strict)
        bad(OLIST_FILES[from], line, column, `${column} ${v} is not in ${OLIST_FILES[to]}`, { value: v, references: OLIST_FILES[to] });
      if (check.count === 0) check.first = { line, value: v };
      check.count++;
    }
    data.references.push(check);
  }
  const products = data.products;
  if (products) {
    products.productCategoryNameEnglish = new Array<string>(products.count).fill('');
    const tr = data.categoryTranslation;
    if (tr) {
      const english = new Map<string, string>();
      for (let r = 0; r < tr.count; r++) english.set(tr.productCategoryName[r] as string, tr.productCategoryNameEnglish[r] as string);
      const cat = { translated: 0, empty: 0, untranslated: 0, untranslatedNames: [] as string[] };
      const names = new Set<string>();
      for (let r = 0; r < products.count; r++) {
        const name = (products.productCategoryName[r] as string).trim();
        const en = english.get(name);
        if (name === '') cat.empty++;
        else if (en === undefined) {
          cat.untranslated++;
          names.add(name);
        } else {
          cat.translated++;
          products.productCategoryNameEnglish[r] = en;
        }
      }
      cat.untranslatedNames = [...names].sort();
      data.categories = cat;
    }
  }
  return data;
}
