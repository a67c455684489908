/**
 * Search methods as compositions of a sampler, regularizers and settings, and the registry that names
 * them for configs and the command line.
 * @module
 */
import { betaDarts } from "./betaDarts.ts";
import { darts, darts2nd } from "./darts.ts";
import { drnas } from "./drnas.ts";
import { type MethodOptions, type SearchMethod, SHARED_METHOD_OPTIONS } from "./method.ts";
import { saDarts, snasSa } from "./saDarts.ts";
import { snas } from "./snas.ts";
import { pcBeta, pcDarts, sacDarts } from "./pcDarts.ts";

export * from "./method.ts";
export * from "./darts.ts";
export * from "./betaDarts.ts";
export * from "./saDarts.ts";
export * from "./snas.ts";
export * from "./drnas.ts";
export * from "./pcDarts.ts";

/** A registered method: its factory, what it is, and the options it takes beyond the shared ones. */
export interface MethodEntry {
  create: (o?: MethodOptions) => SearchMethod;
  description: string;
  options: readonly (keyof MethodOptions)[];
}

const SA_OPTIONS = ["nu", "mu", "lambda"] as const;
const SNAS_OPTIONS = ["tauMax", "tauMin", "epochs", "sampleInEval"] as const;

/** The methods by name. */
export const METHODS: Readonly<Record<string, MethodEntry>> = {
  darts: { create: darts, description: "DARTS, first order, softmax, α weight decay 1e-3", options: [] },
  "darts-2nd": {
    create: darts2nd,
    description: "DARTS, second order: the unrolled α step with the finite-difference Hessian-vector product",
    options: [],
  },
  beta: { create: betaDarts, description: "Beta-DARTS: + λ · mean logsumexp(α)", options: ["lambda"] },
  sa: {
    create: saDarts,
    description: "SA-DARTS: + smooth activation loss, no α weight decay",
    options: SA_OPTIONS,
  },
  snas: { create: snas, description: "SNAS: soft Gumbel-softmax, τ 10 → 1", options: SNAS_OPTIONS },
  "snas-sa": { create: snasSa, description: "SNAS + SA", options: [...SNAS_OPTIONS, ...SA_OPTIONS] },
  drnas: { create: drnas, description: "DrNAS: Dirichlet(ELU(α) + 1) samples", options: ["sampleInEval"] },
  "pc-darts": {
    create: pcDarts,
    description:
      "PC-DARTS: DARTS with partial channels (K = partialChannels, default 4) and edge normalization",
    options: [],
  },
  sac: {
    create: sacDarts,
    description: "SAC-DARTS: SA-DARTS with PC-DARTS' partial channels",
    options: SA_OPTIONS,
  },
  "pc-beta": {
    create: pcBeta,
    description: "PC + Beta: Beta-DARTS with partial channels",
    options: ["lambda"],
  },
};

/**
 * The method called `name` with `options`; an unknown name, or an option the method does not take,
 * is an error that lists the choices.
 */
export function methodByName(name: string, options: MethodOptions = {}): SearchMethod {
  const entry = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
  if (!entry) {
    throw new Error(`unknown search method "${name}": choose one of ${Object.keys(METHODS).join(", ")}`);
  }
  const allowed: readonly string[] = [...SHARED_METHOD_OPTIONS, ...entry.options];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new Error(`method ${name} takes no option "${key}": it takes ${allowed.join(", ")}`);
    }
  }
  return entry.create(options);
}
