import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.endsWith('.json') && !context.importAttributes?.type) return { ...r, importAttributes: { ...context.importAttributes, type: 'json' } };
    return r;
  },
});
