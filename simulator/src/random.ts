/**
 * Seeded randomness: every generated plate, name and event comes from here, so a seed number
 * reproduces a run (timestamps follow the real clock).
 */
import { plateSchema } from "@parkbridge/shared";

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: tiny, fast and good enough for test data. */
export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    chance: (probability) => next() < probability,
  };
}

const SURNAMES = [
  ..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈",
];
const GIVEN = [..."伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红波建国志红海燕鹏飞宇浩然欣怡子涵"];
// Plate letters exclude I and O, as real plates do.
const LETTERS = [..."ABCDEFGHJKLMNPQRSTUVWXYZ"];
const DIGITS = [..."0123456789"];

export function personName(random: Random): string {
  const given = random.int(1, 2);
  let name = random.pick(SURNAMES);
  for (let i = 0; i < given; i++) name += random.pick(GIVEN);
  return name;
}

export function mobileNumber(random: Random): string {
  return `1${random.pick(["3", "5", "7", "8", "9"])}${String(random.int(0, 999_999_999)).padStart(9, "0")}`;
}

/**
 * A valid Chinese plate of the region `prefix` (province + office letter, e.g. "鲁A"):
 * 5 more characters, or 6 for a new-energy plate (D/F then 5 digits).
 */
export function plate(random: Random, prefix: string): string {
  let value: string;
  if (random.chance(0.15)) {
    value = `${prefix}${random.pick(["D", "F"])}${String(random.int(0, 99_999)).padStart(5, "0")}`;
  } else {
    value = prefix;
    for (let i = 0; i < 5; i++) value += random.chance(0.3) ? random.pick(LETTERS) : random.pick(DIGITS);
  }
  // A generator bug must surface here, not as a confusing refusal later.
  if (!plateSchema.safeParse(value).success) throw new Error(`generated an invalid plate: ${value}`);
  return value;
}

/** A plate not in `taken`; adds it. */
export function uniquePlate(random: Random, prefix: string, taken: Set<string>): string {
  for (;;) {
    const value = plate(random, prefix);
    if (!taken.has(value)) {
      taken.add(value);
      return value;
    }
  }
}
