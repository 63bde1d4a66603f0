// The operator page's script: bundled by build.mjs and inlined by src/worker/admin/page.ts under the CSP nonce.
// The page works without it (every action is a form POST); it only localises times, asks before forced or bulk
// replays, fills and formats the preview's JSON, and reloads an order while its deliveries are in flight.

const all = <T extends Element>(selector: string): T[] => Array.from(document.querySelectorAll<T>(selector));

// Times are rendered in UTC; the operator reads them in their own time zone, with UTC kept as the tooltip.
for (const t of all<HTMLTimeElement>('time[datetime]')) {
  const d = new Date(t.getAttribute('datetime') ?? '');
  if (!Number.isNaN(d.getTime())) {
    t.title = t.textContent ?? '';
    t.textContent = d.toLocaleString();
  }
}

for (const form of all<HTMLFormElement>('form[data-confirm]')) {
  form.addEventListener('submit', (e) => {
    if (!confirm(form.getAttribute('data-confirm') ?? '')) e.preventDefault();
  });
}

const payload = document.getElementById('payload');
if (payload instanceof HTMLTextAreaElement) {
  for (const button of all<HTMLElement>('[data-example]')) {
    button.addEventListener('click', () => {
      payload.value = button.getAttribute('data-example') ?? '';
      payload.focus();
    });
  }
  document.getElementById('fmt')?.addEventListener('click', () => {
    try {
      payload.value = JSON.stringify(JSON.parse(payload.value), null, 2);
    } catch (e) {
      alert(`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

// An order with deliveries in flight reloads every 3 s, unless the operator is typing or selecting text.
if (document.querySelector('[data-live]')) {
  const tick = (): void => {
    const active = document.activeElement;
    if ((active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) || String(getSelection())) {
      setTimeout(tick, 3000);
      return;
    }
    location.reload();
  };
  setTimeout(tick, 3000);
}

export {};
