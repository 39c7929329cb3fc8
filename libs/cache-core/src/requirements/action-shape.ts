/** An action reduced to its shape plus parameter values: `view:product:42` → `view:product:{0}`, ["42"]. */
export interface ActionShape {
  readonly shape: string;
  readonly params: readonly string[];
}

const SEPARATOR = /([:/])/;

/**
 * Splits an action into a shape and parameters: segments after the first one (split on `:` and
 * `/`) that contain a digit are parameters. So learned requirements generalise from
 * `view:42` → `product:42` to every product.
 */
export function actionShape(action: string): ActionShape {
  const parts = action.split(SEPARATOR);
  const params: string[] = [];
  for (let i = 2; i < parts.length; i += 2) {
    const segment = parts[i]!;
    if (/\d/.test(segment)) {
      parts[i] = `{${params.length}}`;
      params.push(segment);
    }
  }
  return { shape: parts.join(''), params };
}

/** Replaces whole key segments equal to a parameter by its placeholder: `product:42` with ["42"] → `product:{0}`. */
export function keyToTemplate(key: string, params: readonly string[]): string {
  if (params.length === 0) return key;
  const parts = key.split(SEPARATOR);
  for (let i = 0; i < parts.length; i += 2) {
    const j = params.indexOf(parts[i]!);
    if (j >= 0) parts[i] = `{${j}}`;
  }
  return parts.join('');
}

/** Inverse of {@link keyToTemplate}; `undefined` when the template needs a parameter the action lacks. */
export function templateToKey(template: string, params: readonly string[]): string | undefined {
  let ok = true;
  const key = template.replace(/\{(\d+)\}/g, (_, i: string) => {
    const v = params[Number(i)];
    if (v === undefined) ok = false;
    return v ?? '';
  });
  return ok ? key : undefined;
}
