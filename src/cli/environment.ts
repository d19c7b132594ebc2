import { ENVIRONMENT_VARIABLES } from "../config.ts";

/**
 * Reads the variables of {@link ENVIRONMENT_VARIABLES} one by one. The
 * executable may read only those (`--allow-env=<list>`), so
 * `Deno.env.toObject()` would fail there.
 */
export function readEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name] of ENVIRONMENT_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined) environment[name] = value;
  }
  return environment;
}
