/** Naming the field of a JSON-schema (ajv) error the way the kernels name fields. */

/**
 * The field a schema error is about, written as the kernels name fields (`constraints[0].rhs`):
 * the JSON pointer of the value, plus the property a `required` or `additionalProperties` error
 * names; `context` (the request part: `body`, `querystring`, `params`; or `input` for a model's
 * instance) when the error is about the whole of it.
 */
export function validationField(
  v: { instancePath?: string; params?: Record<string, unknown> } | undefined,
  context: string | undefined,
): string {
  const segments = (v?.instancePath ?? '')
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // A discriminator error (a union's tag missing or naming no branch) names the tag property.
  const extra = v?.params?.missingProperty ?? v?.params?.additionalProperty ?? v?.params?.tag;
  if (typeof extra === 'string') segments.push(extra);
  if (segments.length === 0) return context ?? 'body';
  return segments.reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path === '' ? s : `${path}.${s}`), '');
}
