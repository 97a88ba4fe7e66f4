/**
 * Segment trees with lazy range-add over a fixed number of time slots, for the start-time engine: one
 * answers "first slot from here where the value reaches x" (maximum), the other "last slot in a range
 * where the value is below x" (minimum). Both O(log n) per operation. Ranges are half-open [from, to).
 */

abstract class LazyAddTree {
  protected readonly size: number;
  protected readonly best: Float64Array;
  private readonly lazy: Float64Array;

  constructor(values: ArrayLike<number>, empty: number) {
    this.size = Math.max(1, values.length);
    this.best = new Float64Array(4 * this.size).fill(empty);
    this.lazy = new Float64Array(4 * this.size);
    if (values.length > 0) this.build(1, 0, this.size - 1, values);
  }

  protected abstract pick(a: number, b: number): number;

  private build(node: number, lo: number, hi: number, values: ArrayLike<number>): void {
    if (lo === hi) {
      this.best[node] = values[lo]!;
      return;
    }
    const mid = (lo + hi) >> 1;
    this.build(2 * node, lo, mid, values);
    this.build(2 * node + 1, mid + 1, hi, values);
    this.best[node] = this.pick(this.best[2 * node]!, this.best[2 * node + 1]!);
  }

  protected push(node: number): void {
    const delta = this.lazy[node]!;
    if (delta === 0) return;
    this.best[2 * node]! += delta;
    this.lazy[2 * node]! += delta;
    this.best[2 * node + 1]! += delta;
    this.lazy[2 * node + 1]! += delta;
    this.lazy[node] = 0;
  }

  /** Adds `delta` to every slot in [from, to). */
  add(from: number, to: number, delta: number): void {
    if (from < to && delta !== 0) this.addRange(1, 0, this.size - 1, from, to - 1, delta);
  }

  private addRange(node: number, lo: number, hi: number, l: number, r: number, delta: number): void {
    if (r < lo || hi < l) return;
    if (l <= lo && hi <= r) {
      this.best[node]! += delta;
      this.lazy[node]! += delta;
      return;
    }
    this.push(node);
    const mid = (lo + hi) >> 1;
    this.addRange(2 * node, lo, mid, l, r, delta);
    this.addRange(2 * node + 1, mid + 1, hi, l, r, delta);
    this.best[node] = this.pick(this.best[2 * node]!, this.best[2 * node + 1]!);
  }

  /** The value of one slot. */
  valueAt(index: number): number {
    let node = 1;
    let lo = 0;
    let hi = this.size - 1;
    while (lo !== hi) {
      this.push(node);
      const mid = (lo + hi) >> 1;
      if (index <= mid) {
        node = 2 * node;
        hi = mid;
      } else {
        node = 2 * node + 1;
        lo = mid + 1;
      }
    }
    return this.best[node]!;
  }

  /** Replaces one slot's value with `pick(value, candidate)`. */
  improve(index: number, candidate: number): void {
    this.improveAt(1, 0, this.size - 1, index, candidate);
  }

  private improveAt(node: number, lo: number, hi: number, index: number, candidate: number): void {
    if (lo === hi) {
      this.best[node] = this.pick(this.best[node]!, candidate);
      return;
    }
    this.push(node);
    const mid = (lo + hi) >> 1;
    if (index <= mid) this.improveAt(2 * node, lo, mid, index, candidate);
    else this.improveAt(2 * node + 1, mid + 1, hi, index, candidate);
    this.best[node] = this.pick(this.best[2 * node]!, this.best[2 * node + 1]!);
  }
}

/** Range add, and the first slot at or after `from` whose value is at least `x`. */
export class MaxAddTree extends LazyAddTree {
  constructor(values: ArrayLike<number>) {
    super(values, -Infinity);
  }

  protected pick(a: number, b: number): number {
    return a > b ? a : b;
  }

  /** The first slot ≥ `from` with value ≥ `x`, or -1. */
  firstAtLeast(from: number, x: number): number {
    return from >= this.size ? -1 : this.first(1, 0, this.size - 1, from, x);
  }

  private first(node: number, lo: number, hi: number, from: number, x: number): number {
    if (hi < from || this.best[node]! < x) return -1;
    if (lo === hi) return lo;
    this.push(node);
    const mid = (lo + hi) >> 1;
    const left = this.first(2 * node, lo, mid, from, x);
    return left >= 0 ? left : this.first(2 * node + 1, mid + 1, hi, from, x);
  }
}

/** Range add, point minimum-assign, and the last slot in a range whose value is below `x`. */
export class MinAddTree extends LazyAddTree {
  constructor(values: ArrayLike<number>) {
    super(values, Infinity);
  }

  protected pick(a: number, b: number): number {
    return a < b ? a : b;
  }

  /** The last slot in [from, to) with value < `x`, or -1. */
  lastBelow(from: number, to: number, x: number): number {
    return from >= to ? -1 : this.last(1, 0, this.size - 1, from, to - 1, x);
  }

  private last(node: number, lo: number, hi: number, l: number, r: number, x: number): number {
    if (r < lo || hi < l || this.best[node]! >= x) return -1;
    if (lo === hi) return lo;
    this.push(node);
    const mid = (lo + hi) >> 1;
    const right = this.last(2 * node + 1, mid + 1, hi, l, r, x);
    return right >= 0 ? right : this.last(2 * node, lo, mid, l, r, x);
  }
}
