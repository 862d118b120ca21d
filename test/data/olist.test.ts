/**
 * The Olist-schema loader: the real sellers / products / category translation in
 * ../shared/data/olist (see its SOURCES.md; the order tables are not there), and a small fixture of
 * made-up rows in the Olist schema written here for the tables the shared folder lacks.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCsvRecords } from '../../src/data/csv.js';
import { loadOlist, OLIST_FILES, type OlistData, parseOlistTime, WaybillError } from '../../src/index.js';
import { defaultDataDir } from '../../src/paths.js';

const REAL = join(defaultDataDir(), 'olist');

function caught(f: () => unknown): WaybillError {
  try {
    f();
  } catch (err) {
    if (err instanceof WaybillError) return err;
    throw err;
  }
  throw new Error('expected a WaybillError');
}

describe('Olist: the real sellers, products and category translation', () => {
  const present = existsSync(join(REAL, OLIST_FILES.sellers));
  if (!present) console.warn(`skipped: Olist real-data test needs ${REAL} (set WAYBILL_DATA_DIR)`);
  it.skipIf(!present)('loads 3,095 sellers, 32,951 products, 71 translations; the order tables are reported missing', () => {
    const d = loadOlist(REAL);
    expect(d.found).toEqual(['sellers', 'products', 'categoryTranslation']);
    expect(d.missing).toEqual(['orders', 'orderItems', 'payments', 'reviews', 'customers', 'geolocation']);
    expect(d.orders).toBeUndefined();
    expect(d.sellers?.count).toBe(3095);
    expect(d.products?.count).toBe(32951);
    expect(d.categoryTranslation?.count).toBe(71);
    // No table references another among these three: no checks run, none invented.
    expect(d.references).toEqual([]);
    const p = d.products as NonNullable<OlistData['products']>;
    const cat = d.categories as NonNullable<OlistData['categories']>;
    expect(cat.translated + cat.empty + cat.untranslated).toBe(32951);
    expect(cat).toEqual({
      translated: 32328,
      empty: 610,
      untranslated: 13,
      untranslatedNames: ['pc_gamer', 'portateis_cozinha_e_preparadores_de_alimentos'],
    });
    // Every product: translated (English set) or counted (empty / untranslated, English '').
    let translated = 0;
    for (let r = 0; r < p.count; r++) if (p.productCategoryNameEnglish[r] !== '') translated++;
    expect(translated).toBe(cat.translated);
    // First data row of the published file, and zip prefixes kept as text.
    expect(p.productId[0]).toBe('1e9e8ef04dbcff4541ed26657ea517e5');
    expect(p.productCategoryName[0]).toBe('perfumaria');
    expect(p.productCategoryNameEnglish[0]).toBe('perfumery');
    expect([p.productNameLength[0], p.productWeightG[0], p.productWidthCm[0]]).toEqual([40, 225, 14]);
    expect(p.line[p.count - 1]).toBe(32952);
    expect(d.sellers?.sellerZipCodePrefix[0]).toBe('13023');
    expect(d.sellers?.sellerCity[1]).toBe('mogi guacu');
  });
});

// Made-up rows in the Olist schema (not Olist data). The review on line 2 spans two lines.
const FIXTURE: Record<keyof typeof OLIST_FILES, string | undefined> = {
  orders: `order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date
ord-a,cus-1,delivered,2018-01-02 03:04:05,2018-01-02 04:00:00,2018-01-03 10:00:00,2018-01-08 15:30:00,2018-01-20 00:00:00
ord-b,cus-2,shipped,2018-03-31 23:59:59,2018-04-01 00:10:00,2018-04-02 09:00:00,,2018-04-15 00:00:00
ord-c,cus-1,canceled,2018-02-28 12:00:00,,,,2018-03-10 00:00:00
`,
  orderItems: `order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value
ord-a,1,prod-x,sel-1,2018-01-06 04:00:00,59.90,12.5
ord-a,2,prod-y,sel-2,2018-01-06 04:00:00,120,0
ord-b,1,prod-x,sel-1,2018-04-05 00:10:00,61.00,15.03
`,
  payments: `order_id,payment_sequential,payment_type,payment_installments,payment_value
ord-a,1,credit_card,3,150.00
ord-a,2,voucher,1,42.40
ord-b,1,boleto,1,76.03
ord-c,1,not_defined,0,0
`,
  reviews: `review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp
rev-1,ord-a,5,,"chegou rápido,
tudo ""certo""",2018-01-09 00:00:00,2018-01-10 11:22:33
rev-2,ord-b,2,atraso,,2018-04-16 00:00:00,
rev-1,ord-c,1,,,2018-03-11 00:00:00,2018-03-12 08:00:00
`,
  customers: `customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state
cus-1,uniq-1,01001,sao paulo,SP
cus-2,uniq-2,"20031",rio de janeiro,RJ
`,
  sellers: `"seller_id","seller_zip_code_prefix","seller_city","seller_state"\r
sel-1,"13023",campinas,SP\r
sel-2,04571,sao paulo,SP\r
`,
  products: `product_id,product_category_name,product_name_lenght,product_description_lenght,product_photos_qty,product_weight_g,product_length_cm,product_height_cm,product_width_cm
prod-x,utilidades_domesticas,40,287,1,225,16,10,14
prod-y,,,,,,,,
prod-z,categoria_nova,12,100,2,1500,30,20,25
`,
  categoryTranslation: `\ufeffproduct_category_name,product_category_name_english
utilidades_domesticas,housewares
beleza_saude,health_beauty
`,
  geolocation: undefined,
};

function fixture(over: Partial<Record<keyof typeof OLIST_FILES, string | undefined>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wb-olist-'));
  const files = { ...FIXTURE, ...over };
  for (const [t, text] of Object.entries(files)) {
    if (text !== undefined) writeFileSync(join(dir, OLIST_FILES[t as keyof typeof OLIST_FILES]), text);
  }
  return dir;
}

/** Replaces line `n` (1-based) of a fixture table. */
function withLine(text: string, n: number, line: string): string {
  const lines = text.split('\n');
  lines[n - 1] = line;
  return lines.join('\n');
}

describe('Olist: a made-up fixture in the Olist schema', () => {
  const savedTz = process.env.TZ;
  const savedDir = process.env.WAYBILL_OLIST_DIR;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
    if (savedDir === undefined) delete process.env.WAYBILL_OLIST_DIR;
    else process.env.WAYBILL_OLIST_DIR = savedDir;
  });

  it('reads every table with its types; found / missing; all references hold', () => {
    const d = loadOlist(fixture());
    expect(d.found).toEqual(['orders', 'orderItems', 'payments', 'reviews', 'customers', 'sellers', 'products', 'categoryTranslation']);
    expect(d.missing).toEqual(['geolocation']);
    expect(d.references.map((r) => [r.name, r.count])).toEqual([
      ['orderItems.order_id -> orders.order_id', 0],
      ['orderItems.product_id -> products.product_id', 0],
      ['orderItems.seller_id -> sellers.seller_id', 0],
      ['orders.customer_id -> customers.customer_id', 0],
      ['payments.order_id -> orders.order_id', 0],
      ['reviews.order_id -> orders.order_id', 0],
    ]);
    const o = d.orders as NonNullable<OlistData['orders']>;
    expect(o.count).toBe(3);
    expect(o.orderId).toEqual(['ord-a', 'ord-b', 'ord-c']);
    expect(o.orderStatus).toEqual(['delivered', 'shipped', 'canceled']);
    expect(o.orderPurchaseTimestamp).toBeInstanceOf(Float64Array);
    expect(o.orderDeliveredCustomerDate[1]).toBeNaN(); // shipped, not delivered yet
    expect(o.orderApprovedAt[2]).toBeNaN();
    expect(Array.from(o.line)).toEqual([2, 3, 4]);

    const it_ = d.orderItems as NonNullable<OlistData['orderItems']>;
    expect(it_.orderItemId).toBeInstanceOf(Int32Array);
    expect(Array.from(it_.orderItemId)).toEqual([1, 2, 1]);
    expect(Array.from(it_.price)).toEqual([59.9, 120, 61]);
    expect(Array.from(it_.freightValue)).toEqual([12.5, 0, 15.03]);
    expect(it_.sellerId).toEqual(['sel-1', 'sel-2', 'sel-1']);

    const pay = d.payments as NonNullable<OlistData['payments']>;
    expect(Array.from(pay.paymentInstallments)).toEqual([3, 1, 1, 0]);
    expect(Array.from(pay.paymentValue)).toEqual([150, 42.4, 76.03, 0]);
    expect(pay.paymentType[3]).toBe('not_defined');

    // The quoted comment spans lines 2-3, so the next reviews start on lines 4 and 5; a review id
    // repeated for another order is allowed (the key is review_id + order_id).
    const rev = d.reviews as NonNullable<OlistData['reviews']>;
    expect(rev.reviewCommentMessage[0]).toBe('chegou rápido,\ntudo "certo"');
    expect(rev.reviewCommentTitle).toEqual(['', 'atraso', '']);
    expect(Array.from(rev.line)).toEqual([2, 4, 5]);
    expect(Array.from(rev.reviewScore)).toEqual([5, 2, 1]);
    expect(rev.reviewAnswerTimestamp[1]).toBeNaN();

    expect(d.customers?.customerZipCodePrefix).toEqual(['01001', '20031']);
    expect(d.sellers?.sellerZipCodePrefix).toEqual(['13023', '04571']);
    expect(d.sellers?.sellerState).toEqual(['SP', 'SP']); // CRLF line ends stripped

    const p = d.products as NonNullable<OlistData['products']>;
    expect(p.productCategoryNameEnglish).toEqual(['housewares', '', '']);
    expect(Array.from(p.productWeightG)).toEqual([225, Number.NaN, 1500]);
    expect(p.productNameLength[1]).toBeNaN();
    expect(d.categories).toEqual({ translated: 1, empty: 1, untranslated: 1, untranslatedNames: ['categoria_nova'] });
  });

  it('reads timestamps as UTC wall clock whatever the machine time zone', () => {
    process.env.TZ = 'America/Los_Angeles';
    // The zone really is in force for local-time parsing (PST is UTC-8 in January)...
    expect(new Date(2018, 0, 2, 3, 4, 5).getTime() / 1000).toBe(1514862245 + 8 * 3600);
    // ...and the loader ignores it: the epoch values are those of the same wall clock at UTC.
    const d = loadOlist(fixture());
    const o = d.orders as NonNullable<OlistData['orders']>;
    expect(o.orderPurchaseTimestamp[0]).toBe(1514862245); // 2018-01-02 03:04:05Z
    expect(o.orderDeliveredCustomerDate[0]).toBe(1515425400); // 2018-01-08 15:30:00Z
    expect(o.orderPurchaseTimestamp[1]).toBe(1522540799); // 2018-03-31 23:59:59Z
    expect(o.orderApprovedAt[1]).toBe(1522541400); // 2018-04-01 00:10:00Z
    expect(d.reviews?.reviewAnswerTimestamp[0]).toBe(1515583353); // 2018-01-10 11:22:33Z
    expect(parseOlistTime('2018-07-01 12:00:00')).toBe(1530446400); // summer: still no offset
  });

  it('strict refuses a dangling seller_id with file, line and column; lenient counts it', () => {
    const items = withLine(FIXTURE.orderItems as string, 4, 'ord-b,1,prod-x,sel-9,2018-04-05 00:10:00,61.00,15.03');
    const dir = fixture({ orderItems: `${items}ord-c,1,prod-z,sel-8,2018-03-01 00:00:00,10,1\n` });
    const e = caught(() => loadOlist(dir));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ file: 'olist_order_items_dataset.csv', line: 4, field: 'seller_id', value: 'sel-9' });
    expect(e.message).toContain('olist_order_items_dataset.csv, line 4');
    const d = loadOlist(dir, { strict: false });
    const check = d.references.find((r) => r.name === 'orderItems.seller_id -> sellers.seller_id');
    expect(check).toEqual({
      name: 'orderItems.seller_id -> sellers.seller_id',
      file: 'olist_order_items_dataset.csv',
      column: 'seller_id',
      count: 2,
      first: { line: 4, value: 'sel-9' },
    });
    expect(d.references.filter((r) => r.count > 0)).toHaveLength(1);
    // Without the sellers table the check cannot run and is not reported as passed.
    const noSellers = loadOlist(fixture({ orderItems: items, sellers: undefined }));
    expect(noSellers.missing).toContain('sellers');
    expect(noSellers.references.map((r) => r.name)).not.toContain('orderItems.seller_id -> sellers.seller_id');
    // A dangling customer and review order are caught too.
    const e2 = caught(() => loadOlist(fixture({ reviews: `${FIXTURE.reviews}rev-3,ord-z,4,,,2018-05-01 00:00:00,\n` })));
    expect(e2.details).toMatchObject({ file: 'olist_order_reviews_dataset.csv', line: 6, field: 'order_id', value: 'ord-z' });
  });

  it('refuses duplicate keys, naming both lines', () => {
    const orders = `${FIXTURE.orders}ord-b,cus-2,delivered,2018-04-01 00:00:00,,,,2018-04-15 00:00:00\n`;
    const e = caught(() => loadOlist(fixture({ orders })));
    expect(e.details).toMatchObject({ file: 'olist_orders_dataset.csv', line: 5, field: 'order_id', firstLine: 3 });
    const items = `${FIXTURE.orderItems}ord-a,2,prod-x,sel-1,2018-01-06 04:00:00,1,1\n`;
    const e2 = caught(() => loadOlist(fixture({ orderItems: items })));
    expect(e2.details).toMatchObject({ file: 'olist_order_items_dataset.csv', line: 5, field: 'order_id+order_item_id', firstLine: 3 });
    const e3 = caught(() => loadOlist(fixture({ reviews: `${FIXTURE.reviews}rev-2,ord-b,3,,,2018-04-17 00:00:00,\n` })));
    expect(e3.details).toMatchObject({ file: 'olist_order_reviews_dataset.csv', line: 6, field: 'review_id+order_id', firstLine: 4 });
  });

  it('refuses a duplicate key spelt differently (order_item_id 02 or 2.0 is item 2)', () => {
    for (const item of ['02', '2.0', ' 2 ']) {
      const items = `${FIXTURE.orderItems}ord-a,${item},prod-x,sel-1,2018-01-06 04:00:00,1,1\n`;
      const e = caught(() => loadOlist(fixture({ orderItems: items })));
      expect(e.details, item).toMatchObject({
        file: 'olist_order_items_dataset.csv',
        line: 5,
        field: 'order_id+order_item_id',
        firstLine: 3,
      });
    }
    const payments = `${FIXTURE.payments}ord-b,01,voucher,1,5\n`;
    const e = caught(() => loadOlist(fixture({ payments })));
    expect(e.details).toMatchObject({
      file: 'olist_order_payments_dataset.csv',
      line: 6,
      field: 'order_id+payment_sequential',
      firstLine: 4,
    });
  });

  it('refuses a header naming a column twice (the second copy would be ignored)', () => {
    const sellers = `seller_id,seller_zip_code_prefix,seller_city,seller_state,seller_id
sel-1,13023,campinas,SP,sel-9
sel-2,04571,sao paulo,SP,sel-8
`;
    const e = caught(() => loadOlist(fixture({ sellers })));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ file: 'olist_sellers_dataset.csv', line: 1, field: 'seller_id' });
    expect(e.message).toContain('header names column seller_id more than once');
  });

  it('names file, line and column of a bad date, number, score or empty id', () => {
    const cases: Array<[Partial<Record<keyof typeof OLIST_FILES, string>>, string, number, string]> = [
      [
        { orders: withLine(FIXTURE.orders as string, 3, 'ord-b,cus-2,shipped,2018-02-30 10:00:00,,,,2018-04-15 00:00:00') },
        'olist_orders_dataset.csv',
        3,
        'order_purchase_timestamp',
      ],
      [
        { orders: withLine(FIXTURE.orders as string, 4, 'ord-c,cus-1,canceled,2018-02-28T12:00:00,,,,2018-03-10 00:00:00') },
        'olist_orders_dataset.csv',
        4,
        'order_purchase_timestamp',
      ],
      [
        { orders: withLine(FIXTURE.orders as string, 4, 'ord-c,cus-1,canceled,2018-02-28 12:00:00,,,,28/02/2018 12:00') },
        'olist_orders_dataset.csv',
        4,
        'order_estimated_delivery_date',
      ],
      [
        // a required time left empty
        { orders: withLine(FIXTURE.orders as string, 2, 'ord-a,cus-1,delivered,,,,,2018-01-20 00:00:00') },
        'olist_orders_dataset.csv',
        2,
        'order_purchase_timestamp',
      ],
      [
        { orderItems: withLine(FIXTURE.orderItems as string, 3, 'ord-a,2,prod-y,sel-2,2018-01-06 04:00:00,12O.00,0') },
        'olist_order_items_dataset.csv',
        3,
        'price',
      ],
      [
        { orderItems: withLine(FIXTURE.orderItems as string, 2, 'ord-a,1,prod-x,sel-1,2018-01-06 04:00:00,59.90,') },
        'olist_order_items_dataset.csv',
        2,
        'freight_value',
      ],
      [
        { payments: withLine(FIXTURE.payments as string, 2, 'ord-a,1,credit_card,2.5,150.00') },
        'olist_order_payments_dataset.csv',
        2,
        'payment_installments',
      ],
      [
        { products: withLine(FIXTURE.products as string, 4, 'prod-z,categoria_nova,12,100,2,heavy,30,20,25') },
        'olist_products_dataset.csv',
        4,
        'product_weight_g',
      ],
      [{ sellers: `${FIXTURE.sellers}"",01310,sao paulo,SP\n` }, 'olist_sellers_dataset.csv', 4, 'seller_id'],
      [{ reviews: `${FIXTURE.reviews}rev-9,ord-a,6,,,2018-05-01 00:00:00,\n` }, 'olist_order_reviews_dataset.csv', 6, 'review_score'],
    ];
    for (const [over, file, line, field] of cases) {
      const e = caught(() => loadOlist(fixture(over)));
      expect(e.code, `${file} ${field}`).toBe('INVALID_ARGUMENT');
      expect(e.details, `${file} ${field}`).toMatchObject({ file, line, field });
      expect(e.message).toContain(`${file}, line ${line}, column ${field}`);
    }
  });

  it('names the missing header columns and a row with the wrong number of cells', () => {
    const items = (FIXTURE.orderItems as string).replace('order_item_id,', '').replace(',freight_value', ',freight');
    const e = caught(() => loadOlist(fixture({ orderItems: items })));
    expect(e.details).toMatchObject({ file: 'olist_order_items_dataset.csv', line: 1, missing: ['order_item_id', 'freight_value'] });
    expect(e.message).toContain('order_item_id, freight_value');
    const e2 = caught(() => loadOlist(fixture({ customers: `${FIXTURE.customers}cus-3,uniq-3,01310\n` })));
    expect(e2.details).toMatchObject({ file: 'olist_customers_dataset.csv', line: 4 });
    // an unterminated quote names the line it opened on
    const e3 = caught(() => loadOlist(fixture({ customers: `${FIXTURE.customers}cus-3,uniq-3,01310,"sao paulo,SP\n` })));
    expect(e3.details).toMatchObject({ file: 'olist_customers_dataset.csv', line: 4 });
  });

  it('folder: option, else WAYBILL_OLIST_DIR; missing or empty folder and required tables are NOT_FOUND', () => {
    const dir = fixture({ orders: undefined, payments: undefined, reviews: undefined, customers: undefined, orderItems: undefined });
    process.env.WAYBILL_OLIST_DIR = dir;
    const d = loadOlist();
    expect(d.dir).toBe(dir);
    expect(d.found).toEqual(['sellers', 'products', 'categoryTranslation']);
    expect(caught(() => loadOlist(join(dir, 'nope'))).code).toBe('NOT_FOUND');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(caught(() => loadOlist(empty)).code).toBe('NOT_FOUND');
    const e = caught(() => loadOlist(dir, { require: ['sellers', 'orders', 'orderItems'] }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.details?.missing).toEqual(['orders', 'orderItems']);
  });

  it('geolocation, when present: many rows per zip prefix, coordinates checked', () => {
    const geo = `geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state
01001,-23.5505,-46.6333,sao paulo,SP
01001,-23.5507,-46.6340,são paulo,SP
`;
    const d = loadOlist(fixture({ geolocation: geo }));
    expect(d.missing).toEqual([]);
    expect(d.geolocation?.geolocationZipCodePrefix).toEqual(['01001', '01001']);
    expect(Array.from(d.geolocation?.geolocationLng ?? [])).toEqual([-46.6333, -46.634]);
    const e = caught(() => loadOlist(fixture({ geolocation: `${geo}20031,-122.9,-43.2,rio de janeiro,RJ\n` })));
    expect(e.details).toMatchObject({ file: 'olist_geolocation_dataset.csv', line: 4, field: 'geolocation_lat' });
  });

  it('parseCsvRecords gives the line each record starts on', () => {
    expect(parseCsvRecords('a,b\r\n\r\n"x\ny",1\n2,"3"\n')).toEqual({
      rows: [
        ['a', 'b'],
        ['x\ny', '1'],
        ['2', '3'],
      ],
      lines: [1, 3, 5],
    });
  });
});
