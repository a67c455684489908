/**
 * The search spaces the loop runs, by name: each is one module implementing `SearchSpace`
 * (`space.ts`); registering it here is all it takes for configs and the CLI to accept it.
 * @module
 */
import { didYouMean } from "../search/didYouMean.ts";
import { DARTS_FAMILY_SPACES } from "./dartsSpace.ts";
import { NB201_SPACE } from "./nb201Space.ts";
import type { SearchSpace } from "./space.ts";

/** Every registered space, by name. */
export const SEARCH_SPACES: Readonly<Record<string, SearchSpace>> = {
  nb201: NB201_SPACE as SearchSpace,
  ...DARTS_FAMILY_SPACES as Record<string, SearchSpace>,
};

/**
 * The space called `name`; an unknown name lists the spaces (and the closest one).
 * @example
 * ```ts
 * import { spaceByName } from "../mod.ts";
 * console.assert(spaceByName("nb201").ops.includes("skip_connect"));
 * try {
 *   spaceByName("nb-201");
 * } catch (e) {
 *   console.assert((e as Error).message.includes('did you mean "nb201"'));
 * }
 * ```
 */
export function spaceByName(name: string): SearchSpace {
  if (Object.hasOwn(SEARCH_SPACES, name)) return SEARCH_SPACES[name];
  const names = Object.keys(SEARCH_SPACES);
  const close = didYouMean(name, names);
  throw new Error(
    `unknown search space "${name}"${close ? ` (did you mean "${close}"?)` : ""}: choose one of ${
      names.join(", ")
    }`,
  );
}
