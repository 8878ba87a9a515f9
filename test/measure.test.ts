// timeGpu's sampling (bench/measure.ts) against a simulated device: one stream whose kernels run in order,
// events that fire when the stream reaches them, and a CPU that spends time on every call. No GPU needed.
import { describe, expect, test } from "bun:test";
import { timeGpu, type EventClock } from "../bench/measure";

/** A device with one stream. Times in ms; `cpu` advances by `overhead` for each launch (the host work
 *  before the kernel is queued: checks, tensor maps) and waits when an event is waited for. */
function simulated(kernelMs: (call: number) => number, overhead: number) {
  const fired = new Map<bigint, number>();
  let cpu = 0, streamEnd = 0, next = 1n, calls = 0, live = 0;
  const kernels: number[] = [];
  const clock: EventClock = {
    create: () => (live++, next++),
    record: (e) => void fired.set(e, Math.max(cpu, streamEnd)),
    elapsedMs: (a, b) => {
      cpu = Math.max(cpu, fired.get(b)!);
      return fired.get(b)! - fired.get(a)!;
    },
    destroy: () => void live--,
  };
  const launch = () => {
    cpu += overhead;
    const k = kernelMs(calls++);
    kernels.push(k);
    streamEnd = Math.max(cpu, streamEnd) + k;
  };
  return { clock, launch, kernels, state: () => ({ cpu, streamEnd, calls, live }) };
}

describe("timeGpu", () => {
  test("samples count the kernels only, not the host time before each launch", async () => {
    // 0.5 ms kernels with 0.04 ms of host work a call: waiting for each call before the next would read 0.54.
    const sim = simulated(() => 0.5, 0.04);
    const t = await timeGpu("sim", sim.launch, { iterations: 20, warmup: 3, clock: sim.clock });
    expect(t.msMedian).toBeCloseTo(0.5, 9);
    expect(t.msMax).toBeCloseTo(0.5, 9);
    expect(t.samples).toBeGreaterThanOrEqual(20);
  });

  test("each sample is one call's own time: consecutive calls, none a sum or a gap", async () => {
    // Kernels of 1, 2, 3, ... ms: the samples are n consecutive calls' own times, so their range is n - 1,
    // and the last call launched is never a sample (its successor would time it).
    const sim = simulated((i) => 1 + i, 0.25); // binary fractions: every time exact
    const t = await timeGpu("sim", sim.launch, { iterations: 10, warmup: 2, clock: sim.clock });
    expect(sim.kernels).toContain(t.msMin);
    expect(sim.kernels).toContain(t.msMax);
    expect(t.msMax - t.msMin).toBe(t.samples - 1);
    expect(t.msMax).toBeLessThan(sim.kernels.at(-1)!);
  });

  test("the last launch is waited for and every event is destroyed", async () => {
    const sim = simulated(() => 2, 0.1);
    await timeGpu("sim", sim.launch, { iterations: 5, warmup: 1, clock: sim.clock });
    const s = sim.state();
    expect(s.cpu).toBeGreaterThanOrEqual(s.streamEnd);
    expect(s.live).toBe(0);
  });

  test("host work longer than the kernel shows up: a sample is then the host's time a call", async () => {
    // Nothing hides 0.3 ms of host work a call behind a 0.1 ms kernel: the device idles 0.2 ms before each
    // kernel, inside the sample (the start fires when the previous kernel ends), so a sample reads 0.3.
    const sim = simulated(() => 0.1, 0.3);
    const t = await timeGpu("sim", sim.launch, { iterations: 10, warmup: 2, clock: sim.clock });
    expect(t.msMedian).toBeCloseTo(0.3, 9);
  });
});
