// The operator page, rendered by the Worker: no framework, no CDN, one inline stylesheet and one small inline
// script, both under a per-response CSP nonce (their sources are in src/worker/admin/client/, built by build.mjs).
// Every action is a plain form POST carrying the session's CSRF token, so the page works without JavaScript.
import { BROWSE_OUTCOMES, type BrowseCountRow } from '../browse/counts';
import { type DeliveryState, OPEN_STATES } from '../deliveries/state';
import { ADMIN_CSS, ADMIN_SCRIPT } from '../generated/admin';
import type { Health } from '../health';
import type { CheckResult } from './check';
import type { Counts, EventLine, Ledger } from './data';
import { type Html, html, raw } from './html';
import type { Preview } from './preview';
import { STATES } from './queries';
import type { ReplayResult } from './replay';

export type VendorInfo = {
  name: string;
  label: string;
  mode: 'queue' | 'flush';
  enabled: boolean;
  canCheck: boolean;
  secrets: readonly string[];
};
export type Notice = { kind: 'ok' | 'error'; text: string; issues?: { path: string; message: string }[] };

export type PageModel = {
  now: number;
  csrf: string;
  reveal: boolean;
  expires?: number;
  health: Health;
  counts: { day: Counts; week: Counts };
  vendors: VendorInfo[];
  events: EventLine[];
  order?: { query: string; ledger: Ledger | null };
  notice?: Notice;
  check?: CheckResult;
  preview?: { input: string; result?: Preview; error?: Notice };
  /** Browse-event counters of the last days (src/worker/browse): per day, type and outcome. */
  browse?: BrowseCountRow[];
};

const STATE_LABEL: Record<DeliveryState, string> = {
  delivered: 'Delivered',
  pending: 'Pending',
  claimed: 'Sending',
  retry: 'Retrying',
  skipped: 'Skipped',
  rejected: 'Rejected',
  dead: 'Dead',
};
const LIVE: readonly DeliveryState[] = OPEN_STATES;

// ---- formatting ----
const iso = (ms: number) => new Date(ms).toISOString();
const utc = (ms: number) => `${iso(ms).replace('T', ' ').slice(0, 19)} UTC`;

function span(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
const relative = (ms: number, now: number) =>
  ms > now + 1000 ? `in ${span((ms - now) / 1000)}` : `${span((now - ms) / 1000)} ago`;
const when = (ms: number | null | undefined, now: number): Html =>
  ms
    ? html`<time datetime="${iso(ms)}">${utc(ms)}</time> <span class="muted">· ${relative(ms, now)}</span>`
    : html`<span class="muted">—</span>`;
const money = (n: number | null | undefined, currency: string | null | undefined) =>
  typeof n === 'number' ? `${n.toFixed(2)} ${currency ?? ''}`.trim() : '—';
const badge = (state: string, extra?: string | null) =>
  html`<span class="badge st-${state}">${STATE_LABEL[state as DeliveryState] ?? state}</span>${extra ? html` <span class="muted small">${extra}</span>` : ''}`;
const pretty = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};
const revealQuery = (reveal: boolean) => (reveal ? '&reveal=1' : '');

// ---- shared fragments ----
const hidden = (m: Pick<PageModel, 'csrf' | 'reveal'>) =>
  html`<input type="hidden" name="csrf" value="${m.csrf}">${m.reveal ? html`<input type="hidden" name="reveal" value="1">` : ''}`;

function replayForm(
  m: PageModel,
  fields: Record<string, string | string[]>,
  label: string,
  opts: { confirm?: string; cls?: string } = {},
): Html {
  const inputs = Object.entries(fields).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((x) => html`<input type="hidden" name="${name}" value="${x}">`),
  );
  return html`<form class="inline" method="post" action="/admin/replay"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>${hidden(m)}${inputs}<button class="small ${opts.cls ?? ''}">${label}</button></form>`;
}

function bar(c: Record<DeliveryState, number>, label: string): Html {
  const total = STATES.reduce((s, k) => s + c[k], 0);
  if (!total)
    return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${label}: no deliveries"></svg>`;
  let x = 0;
  const rects = STATES.filter((s) => c[s] > 0).map((s) => {
    const w = (c[s] / total) * 100;
    const r = html`<rect class="f-${s}" x="${x.toFixed(3)}" y="0" width="${w.toFixed(3)}" height="10"><title>${STATE_LABEL[s]}: ${c[s]}</title></rect>`;
    x += w;
    return r;
  });
  const text = STATES.filter((s) => c[s] > 0)
    .map((s) => `${c[s]} ${s}`)
    .join(', ');
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${label}: ${text}">${rects}</svg>`;
}

const sum = (c: Record<DeliveryState, number>, states: readonly DeliveryState[]) =>
  states.reduce((s, k) => s + c[k], 0);

// ---- sections ----
function statusBanner(h: Health): Html {
  if (h.ok) {
    return html`<section class="status ok card"><span class="pulse"></span><div><strong>All systems operational</strong>
      <div class="muted">${h.vendors.length ? `Delivering to ${h.vendors.join(', ')}` : 'No vendor is configured yet'}${h.disabled.length ? ` · not configured: ${h.disabled.join(', ')}` : ''}</div></div></section>`;
  }
  return html`<section class="status bad card"><span class="pulse"></span><div><strong>Degraded</strong>
    <ul>${h.reasons.map((r) => html`<li>${r}</li>`)}</ul></div></section>`;
}

function tiles(day: Counts): Html {
  const t = day.totals;
  const tile = (n: number, label: string, cls: string) =>
    html`<div class="tile card ${cls}"><div class="n">${n.toLocaleString('en')}</div><div class="l">${label}</div></div>`;
  return html`<div class="tiles">
    ${tile(t.delivered, 'Delivered · 24 h', 'ok')}
    ${tile(t.pending + t.claimed + t.retry, 'Waiting or retrying', 'info')}
    ${tile(t.dead + t.rejected, 'Dead or rejected · 24 h', t.dead + t.rejected ? 'bad' : '')}
    ${tile(t.skipped, 'Skipped · 24 h', '')}
  </div>`;
}

function vendorCard(m: PageModel, v: VendorInfo): Html {
  const d = m.counts.day.vendors[v.name];
  const w = m.counts.week.vendors[v.name];
  const zero = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
  const day = d ?? zero;
  const week = w ?? zero;
  const failed = sum(week, ['dead', 'rejected']);
  const check = m.check?.vendor === v.name ? m.check : undefined;
  return html`<article class="card vendor" id="vendor-${v.name}">
    <div class="head"><h3>${v.label}</h3>
      <span class="pill ${v.enabled ? 'on' : 'off'}">${v.enabled ? 'enabled' : 'not configured'}</span>
      <span class="pill">${v.mode === 'flush' ? 'batched upload' : 'queue'}</span></div>
    <div class="barrow"><span>24 h</span>${bar(day, `${v.label}, last 24 hours`)}<span class="num">${sum(day, STATES)}</span></div>
    <div class="barrow"><span>7 d</span>${bar(week, `${v.label}, last 7 days`)}<span class="num">${sum(week, STATES)}</span></div>
    <table class="legend"><thead><tr><th></th><th class="num">24 h</th><th class="num">7 d</th></tr></thead><tbody>
      ${STATES.map((s) => html`<tr class="${day[s] || week[s] ? '' : 'faint'}"><td><span class="dot b-${s}"></span>${STATE_LABEL[s]}</td><td class="num">${day[s]}</td><td class="num">${week[s]}</td></tr>`)}
    </tbody></table>
    ${v.enabled ? '' : html`<p class="muted small">Set ${v.secrets.join(', ')} to enable.</p>`}
    <div class="actions">
      ${v.canCheck ? html`<form class="inline" method="post" action="/admin/check#vendor-${v.name}">${hidden(m)}<input type="hidden" name="vendor" value="${v.name}"><button class="small">Check credentials</button></form>` : ''}
      ${failed ? replayForm(m, { vendor: v.name, states: ['dead', 'rejected'] }, `Replay dead & rejected`, { confirm: `Send every dead and rejected ${v.label} delivery again?` }) : ''}
    </div>
    ${
      check
        ? html`<div class="check ${check.ok ? 'ok' : 'bad'}"><strong>${check.ok ? 'Credentials work' : 'Check failed'}</strong>
      <span class="muted">${check.http_status ?? 'no answer'} · ${check.duration_ms} ms · ${check.request.method} ${check.request.url}</span>
      <code class="detail">${check.detail}</code></div>`
        : ''
    }
  </article>`;
}

function eventsTable(m: PageModel): Html {
  if (!m.events.length)
    return html`<p class="muted">No events yet. Orders appear here as soon as the ingest queue stores them.</p>`;
  return html`<div class="scroll"><table class="events"><thead><tr><th>Received</th><th>Order</th><th>Status</th><th class="num">Total</th><th>Customer</th><th>Vendors</th></tr></thead><tbody>
    ${m.events.map(
      (e) => html`<tr>
      <td class="nowrap">${when(e.received_at, m.now)}</td>
      <td><a class="mono" href="/admin?order=${encodeURIComponent(e.order_id)}${revealQuery(m.reveal)}#order">${e.order_id}</a></td>
      <td><span class="tag">${e.status}</span> <span class="muted small">${e.source}</span></td>
      <td class="num nowrap">${money(e.total, e.currency)}</td>
      <td class="muted">${e.email ?? '—'}</td>
      <td class="chips">${Object.entries(e.deliveries).map(([vendor, state]) => html`<span class="chip" title="${vendor}: ${state}"><span class="dot b-${state}"></span>${vendor}</span>`)}</td>
    </tr>`,
    )}
  </tbody></table></div>`;
}

/** One row per day and browse-event type, one column per outcome. */
function browseSection(m: PageModel): Html {
  const rows = new Map<string, Record<string, number>>();
  for (const r of m.browse ?? []) {
    const key = `${r.day} ${r.type}`;
    rows.set(key, { ...rows.get(key), [r.outcome]: r.n });
  }
  const body = rows.size
    ? html`<div class="scroll"><table class="events"><thead><tr><th>Day (UTC)</th><th>Event</th>${BROWSE_OUTCOMES.map((o) => html`<th class="num">${o.replace('_', ' ')}</th>`)}</tr></thead><tbody>
    ${[...rows].map(([key, n]) => {
      const [day, type] = key.split(' ');
      return html`<tr><td class="nowrap">${day}</td><td><span class="tag">${type}</span></td>${BROWSE_OUTCOMES.map((o) => html`<td class="num">${n[o] ?? '—'}</td>`)}</tr>`;
    })}
  </tbody></table></div>`
    : html`<p class="muted">No browse events in the last 7 days. They come from <code>/s.all.js</code> on the shop's pages.</p>`;
  return html`<section class="card" id="browse"><div class="section-head"><h2>Browse events to eSputnik</h2><a class="small" href="/admin/api/browse?days=7">JSON</a></div>${body}
  <p class="muted small">Counters only: no browse event is stored. "retry" counts tries put back on the queue, not events.</p></section>`;
}

function ledgerView(m: PageModel, l: Ledger): Html {
  const o = l.order;
  const live = l.deliveries.some((d) => LIVE.includes(d.state));
  const eventsByKey = new Map(l.events.map((e) => [e.key, e]));
  const customer = o ? Object.entries(o.customer).filter(([, x]) => typeof x === 'string') : [];
  const vendorBlocks = l.vendors.map((v) => {
    const rows = l.deliveries.filter((d) => d.vendor === v.name);
    if (!rows.length)
      return html`<div class="vendor-block"><h5>${v.label}</h5><p class="muted small">${v.enabled ? 'No delivery rows (the event predates the vendor, or is still in the ingest queue).' : 'Not configured.'}</p></div>`;
    return html`<div class="vendor-block"><h5>${v.label}${v.enabled ? '' : html` <span class="pill off">not configured</span>`}</h5>
      <table class="deliveries"><thead><tr><th>Event</th><th>State</th><th class="num">Attempts</th><th>Last answer</th><th>Updated</th><th></th></tr></thead><tbody>
      ${rows.map((d) => {
        const attempts = l.attempts.filter((a) => a.event_key === d.event_key && a.vendor === d.vendor);
        const ev = eventsByKey.get(d.event_key);
        const fields = { key: d.event_key, vendor: d.vendor };
        return html`<tr class="delivery" data-key="${d.event_key}" data-vendor="${d.vendor}" data-state="${d.state}">
          <td><span class="tag">${ev?.status ?? '?'}</span> <code class="muted small">${d.event_key}</code></td>
          <td class="nowrap">${badge(d.state, d.reason)}${LIVE.includes(d.state) ? html`<div class="muted small">${d.next_attempt_at > m.now + 1000 ? `next try ${relative(d.next_attempt_at, m.now)}` : 'due now'}</div>` : ''}</td>
          <td class="num">${d.attempts}</td>
          <td>${d.last_status ? html`<span class="http">HTTP ${d.last_status}</span> ` : ''}<code class="detail">${d.last_detail ?? ''}</code></td>
          <td class="nowrap">${when(d.updated_at, m.now)}</td>
          <td class="nowrap">${
            d.replayable
              ? replayForm(m, fields, 'Replay')
              : d.state === 'delivered'
                ? replayForm(m, { ...fields, force: '1' }, 'Resend', {
                    confirm: `${v.label} already acknowledged this event. Send it again?`,
                    cls: 'danger',
                  })
                : html`<span class="muted small">in flight</span>`
          }</td>
        </tr>
        ${
          attempts.length
            ? html`<tr class="attempts"><td colspan="6"><ol class="timeline">${attempts.map(
                (a) => html`<li>
          <span class="dot b-${a.outcome}"></span>${when(a.at, m.now)} · ${a.http_status ? `HTTP ${a.http_status}` : 'no HTTP answer'} · <strong>${a.outcome}</strong>${a.duration_ms !== null ? ` · ${a.duration_ms} ms` : ''}
          ${a.detail ? html`<code class="detail">${a.detail}</code>` : ''}</li>`,
              )}</ol></td></tr>`
            : ''
        }`;
      })}
      </tbody></table></div>`;
  });
  return html`<div class="ledger"${live ? html` data-live="1"` : ''}>
    <div class="order-head">
      <div><h3>Order <code>${l.order_id}</code></h3>
        ${
          o
            ? html`<div>${badge(o.state)} <strong class="big">${money(o.total, o.currency)}</strong>
          ${o.refunded_total ? html` <span class="muted">refunded ${money(o.refunded_total, o.currency)}</span>` : ''}
          ${o.cancelled_total ? html` <span class="muted">cancelled ${money(o.cancelled_total, o.currency)}</span>` : ''}</div>`
            : html`<p class="muted">Its events were purged; delivery rows remain.</p>`
        }
        ${live ? html`<div class="live small"><span class="pulse"></span>Live: this view refreshes while deliveries are in flight</div>` : ''}
      </div>
      <div class="actions">
        ${replayForm(m, { order_id: l.order_id }, 'Replay undelivered', { confirm: 'Send every undelivered row of this order again?' })}
        ${replayForm(m, { order_id: l.order_id, force: '1' }, 'Force resend all', { confirm: 'Send EVERY delivery of this order again, including those the vendors acknowledged?', cls: 'danger' })}
      </div>
    </div>
    ${
      o
        ? html`<dl class="facts">
      <div><dt>Created</dt><dd>${when(o.created_at * 1000, m.now)}</dd></div>
      <div><dt>Updated</dt><dd>${when(o.updated_at * 1000, m.now)}</dd></div>
      <div><dt>Paid</dt><dd>${o.paid ? 'yes' : 'no'}</dd></div>
      <div><dt>Events</dt><dd>${o.event_count}</dd></div>
      ${customer.map(([k, x]) => html`<div><dt>${k.replaceAll('_', ' ')}</dt><dd class="mono">${x}</dd></div>`)}
      ${o.page_url ? html`<div class="wide"><dt>Page</dt><dd class="mono">${o.page_url}</dd></div>` : ''}
    </dl>
    ${
      o.items.length
        ? html`<table class="items"><thead><tr><th>Item</th><th>Name</th><th class="num">Qty</th><th class="num">Price</th></tr></thead><tbody>
      ${o.items.map((i) => html`<tr><td class="mono">${i.id}</td><td>${i.name ?? ''}</td><td class="num">${i.quantity}</td><td class="num">${money(i.price, o.currency)}</td></tr>`)}
    </tbody></table>`
        : ''
    }`
        : ''
    }
    <h4>Events</h4>
    <table class="evlist"><thead><tr><th>Status</th><th>Occurred</th><th>Received</th><th>Source</th><th>Key</th></tr></thead><tbody>
      ${l.events.map(
        (
          e,
        ) => html`<tr><td><span class="tag">${e.status}</span></td><td class="nowrap">${when(e.occurred_at * 1000, m.now)}</td><td class="nowrap">${when(e.received_at, m.now)}</td><td>${e.source}</td>
        <td><details><summary><code>${e.key}</code></summary><pre>${JSON.stringify(e.event, null, 2)}</pre></details></td></tr>`,
      )}
    </tbody></table>
    <h4>Deliveries and attempts</h4>
    ${vendorBlocks}
  </div>`;
}

function orderSection(m: PageModel): Html {
  const q = m.order?.query ?? '';
  return html`<section class="card" id="order"><div class="section-head"><h2>Find an order</h2></div>
    <form class="search" method="get" action="/admin#order">
      <input type="search" name="order" value="${q}" placeholder="Order id, e.g. 100045" aria-label="Order id" required>
      ${m.reveal ? html`<input type="hidden" name="reveal" value="1">` : ''}
      <button class="primary">Search</button></form>
    ${m.order ? (m.order.ledger ? ledgerView(m, m.order.ledger) : html`<p class="empty">No events or deliveries for order <code>${q}</code>.</p>`) : ''}
  </section>`;
}

const EXAMPLES: { label: string; value: unknown }[] = [
  {
    label: 'Canonical event',
    value: {
      order_id: 'PREVIEW-1',
      status: 'paid',
      currency: 'EUR',
      total: 33.8,
      shipping: 5,
      items: [
        { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9 },
        { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
      ],
      customer: { id: 'cust-1', email: 'jane.doe@example.net', lvid: '0123456789abcdef0123456789abcdef' },
    },
  },
  {
    label: 'mt_order',
    value: {
      event: 'mt_order',
      ecommerce: {
        status: 'PAY',
        currency_code: 'EUR',
        order_id: 'PREVIEW-2',
        customer: { id: 'cust-2', email: 'jane.doe@example.net' },
        items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: '11.90', quantity: '2' }],
      },
    },
  },
  {
    label: 'GA4 purchase (envelope)',
    value: {
      v: 1,
      url: 'https://shop.example/thank-you',
      ids: { lvid: '0123456789abcdef0123456789abcdef' },
      e: {
        event: 'purchase',
        ecommerce: {
          transaction_id: 'PREVIEW-3',
          value: 23.8,
          tax: 0,
          shipping: 5,
          currency: 'EUR',
          items: [{ item_id: 'SKU-1', item_name: 'Green apple', price: 11.9, quantity: 2 }],
        },
      },
    },
  },
];

function previewSection(m: PageModel): Html {
  const p = m.preview;
  const input = p?.input ?? JSON.stringify(EXAMPLES[0]?.value ?? {}, null, 2);
  const r = p?.result;
  return html`<section class="card" id="preview"><div class="section-head"><h2>Mapping preview</h2>
    <span class="muted small">A canonical event, a raw dataLayer entry (mt_order, GA4 purchase) or a snippet envelope → the exact requests. Nothing is sent or stored.</span></div>
    <form method="post" action="/admin/preview#preview">${hidden(m)}
      <textarea id="payload" name="payload" rows="12" spellcheck="false" aria-label="Event JSON">${input}</textarea>
      <div class="row"><button class="primary">Preview requests</button><button type="button" id="fmt">Format JSON</button>
        <span class="muted small">Examples:</span>${EXAMPLES.map((e) => html`<button type="button" class="small" data-example="${JSON.stringify(e.value, null, 2)}">${e.label}</button>`)}</div>
    </form>
    ${p?.error ? noticeBox(p.error) : ''}
    ${
      r
        ? html`<div class="preview-result">
      <p>${badge(r.order.state)} Order <code>${r.order.order_id}</code> · read as <strong>${r.format}</strong> · ${r.event.status} · ${money(r.order.total, r.order.currency)} · event key <code>${r.event.key}</code>
        ${r.stored_events ? html` · folded with ${r.stored_events} stored event${r.stored_events === 1 ? '' : 's'}` : ''}</p>
      ${r.duplicate ? html`<div class="notice warn">An event with this key is already stored: ingest would drop this one as a duplicate. Shown as if it replaced the stored one.</div>` : ''}
      ${r.vendors.map(
        (
          v,
        ) => html`<div class="vendor-block"><h5>${v.label} <span class="pill">${v.mode === 'flush' ? 'batched upload' : 'queue'}</span></h5>
        ${v.error ? html`<div class="notice error">The vendor module failed: ${v.error}</div>` : ''}
        ${v.requests.map(
          (
            q,
          ) => html`<div class="req"><div class="req-line"><span class="method">${q.method}</span><code>${q.url}</code></div>
          <table class="headers">${Object.entries(q.headers).map(([k, x]) => html`<tr><th>${k}</th><td><code>${x}</code></td></tr>`)}</table>
          ${q.body ? html`<pre>${pretty(q.body)}</pre>` : ''}</div>`,
        )}
        ${v.skipped.map((s) => html`<p class="muted">Skipped <code>${s.key}</code>: <strong>${s.reason}</strong></p>`)}
        ${!v.requests.length && !v.skipped.length && !v.error ? html`<p class="muted">No request.</p>` : ''}
      </div>`,
      )}
      ${r.disabled.length ? html`<p class="muted small">Not configured, so not previewed: ${r.disabled.join(', ')}.</p>` : ''}
    </div>`
        : ''
    }
  </section>`;
}

function noticeBox(n: Notice): Html {
  return html`<div class="notice ${n.kind}" role="status">${n.text}${n.issues?.length ? html`<ul>${n.issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul>` : ''}</div>`;
}

export function replayNotice(r: ReplayResult): Notice {
  const kept = Object.entries(r.kept)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const parts = [`Replayed ${r.replayed} deliver${r.replayed === 1 ? 'y' : 'ies'}`];
  if (r.enqueued) parts.push(`${r.enqueued} queued`);
  if (r.awaiting_flush.length) parts.push(`${r.awaiting_flush.join(', ')} at the next flush`);
  if (kept) parts.push(`left as they were: ${kept}`);
  if (r.more) parts.push('more remain: replay again');
  return { kind: r.replayed ? 'ok' : 'error', text: `${parts.join(' · ')}.` };
}

// ---- pages ----
const LOGO = raw(
  `<svg class="logo" viewBox="0 0 24 24" aria-hidden="true"><rect x="1" y="1" width="22" height="22" rx="6" class="logo-bg"/><path d="M6 12h7m0 0-3-3m3 3-3 3M15 7h3v10h-3" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
);

function layout(title: string, nonce: string, body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style nonce="${nonce}">${ADMIN_CSS}</style></head>
<body>${body.value}<script nonce="${nonce}">${ADMIN_SCRIPT}</script></body></html>`;
}

export function loginPage(nonce: string, opts: { error?: string; disabled?: boolean } = {}): string {
  return layout(
    'order-relay · sign in',
    nonce,
    html`<main class="login"><div class="card">
    <div class="brand big">${LOGO} order-relay</div>
    <p class="muted">Operator view. Sign in with the deployment's <code>ADMIN_TOKEN</code>.</p>
    ${
      opts.disabled
        ? html`<div class="notice error">The operator view is disabled: set the <code>ADMIN_TOKEN</code> secret.</div>`
        : html`${opts.error ? html`<div class="notice error" role="alert">${opts.error}</div>` : ''}
    <form method="post" action="/admin/login">
      <label for="token">Admin token</label>
      <input id="token" type="password" name="token" autocomplete="current-password" required autofocus>
      <button class="primary wide">Sign in</button>
    </form>`
    }
  </div></main>`,
  );
}

export function dashboardPage(m: PageModel, nonce: string): string {
  const revealHref = m.reveal ? '/admin' : '/admin?reveal=1';
  const orderQ = m.order ? `order=${encodeURIComponent(m.order.query)}` : '';
  const toggle = m.reveal ? `/admin${orderQ ? `?${orderQ}` : ''}` : `/admin?${orderQ ? `${orderQ}&` : ''}reveal=1`;
  return layout(
    'order-relay · operator',
    nonce,
    html`
  <header class="top">
    <a class="brand" href="${m.reveal ? '/admin?reveal=1' : '/admin'}">${LOGO} order-relay <span class="muted">operator</span></a>
    <nav><a href="#overview">Overview</a><a href="#order">Orders</a><a href="#events">Latest events</a><a href="#browse">Browse</a><a href="#preview">Preview</a></nav>
    <span class="spacer"></span>
    <a class="toggle ${m.reveal ? 'on' : ''}" href="${m.order ? toggle : revealHref}" title="Emails, phones and IPs are masked unless revealed">${m.reveal ? 'PII shown · hide' : 'PII masked · show'}</a>
    <form class="inline" method="post" action="/admin/logout">${hidden(m)}<button class="small">Log out</button></form>
  </header>
  <main>
    ${m.notice ? noticeBox(m.notice) : ''}
    ${statusBanner(m.health)}
    <section id="overview">
      ${tiles(m.counts.day)}
      <div class="section-head"><h2>Deliveries per vendor</h2><span class="legend-inline">${STATES.map((s) => html`<span><span class="dot b-${s}"></span>${STATE_LABEL[s]}</span>`)}</span></div>
      <div class="grid">${m.vendors.map((v) => vendorCard(m, v))}</div>
      <p class="muted small">Rows counted by the time their state last changed.</p>
    </section>
    ${orderSection(m)}
    <section class="card" id="events"><div class="section-head"><h2>Latest events</h2><a class="small" href="/admin/api/events?limit=100${revealQuery(m.reveal)}">JSON</a></div>${eventsTable(m)}</section>
    ${browseSection(m)}
    ${previewSection(m)}
    <footer class="muted small">order-relay · <a href="/health">/health</a>${m.expires ? html` · session ends <time datetime="${iso(m.expires * 1000)}">${utc(m.expires * 1000)}</time>` : ''}</footer>
  </main>`,
  );
}

export function errorPage(nonce: string, status: number, message: string): string {
  return layout(
    'order-relay · error',
    nonce,
    html`<main class="login"><div class="card"><div class="brand big">${LOGO} order-relay</div>
    <div class="notice error">${status}: ${message}</div><p><a href="/admin">Back to the operator view</a></p></div></main>`,
  );
}
