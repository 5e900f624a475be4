// A tiny scenario runner: named async steps, each timed, failures recorded
// with the page's console errors, and a closing line the CI reads:
// "N passed, M failed".
export class Runner {
  constructor() {
    this.results = [];
  }

  async step(name, fn) {
    // E2E_STEPS=regexp runs only the matching steps (and logging in).
    const only = process.env.E2E_STEPS;
    if (only && !new RegExp(only).test(name) && !/^log in/.test(name)) {
      console.log(`  - ${name} (skipped: E2E_STEPS)`);
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true, ms: Date.now() - t0 });
      console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.results.push({ name, ok: false, ms: Date.now() - t0, error: e });
      console.log(`  ✗ ${name} (${Date.now() - t0} ms)\n      ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n      ')}`);
    }
  }

  summary() {
    const passed = this.results.filter((r) => r.ok).length;
    const failed = this.results.length - passed;
    console.log(`\n${passed} passed, ${failed} failed`);
    return failed;
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
