/** The image on the runner (built, or an existing one tagged), the logins, and the pushes with their digest. */
import { saveState } from '../../shared/action';
import type { RunnerContext } from '../../shared/context';
import { build, inspectImage, tag } from '../../shared/docker';
import { login, push, pushedDigest, type RegistryCallOptions } from '../../shared/registry';
import type { Login } from './config';
import type { ImagePlan } from './plan';

/** Builds the plan's image, or tags `sourceImage` with its references; returns the image ID. */
export async function makeImage(plan: ImagePlan, sourceImage: string, ctx: Pick<RunnerContext, 'temp'>, opts: RegistryCallOptions): Promise<string> {
  if (plan.build) {
    return build(plan.build, ctx.temp, { group: `Build ${plan.refs[0]}`, timeoutMs: opts.timeoutMs, signal: opts.signal });
  }
  const source = await inspectImage(sourceImage);
  if (!source) throw new Error(`source-image ${sourceImage} is not on this runner: build it first, or set build: true`);
  await Promise.all(plan.refs.map((ref) => tag(sourceImage, ref)));
  return source.id;
}

/** Logs in to every registry; post logs out of those where `logout` is on. */
export async function logIn(logins: readonly Login[], logout: boolean, opts: RegistryCallOptions): Promise<void> {
  if (!logins.length) return;
  saveState('logout', logout ? logins.map((l) => l.registry) : []);
  await Promise.all(logins.map((l) => login(l.registry, l.username, l.password, opts)));
}

/**
 * Pushes every reference side by side (the first push that fails for good stops the others;
 * a tag whose layers another push is still uploading is retried) and returns the manifest
 * digest of each image repository, as the daemon recorded it.
 */
export async function pushAll(images: readonly string[], refs: readonly string[], opts: RegistryCallOptions): Promise<Map<string, string>> {
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort(opts.signal?.reason), { once: true });
  await Promise.all(
    refs.map((ref) =>
      push(ref, { ...opts, signal: stop.signal }).catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    ),
  );
  const firstOf = (image: string) => refs.find((r) => r.startsWith(`${image}:`))!;
  return new Map(await Promise.all(images.map(async (image) => [image, await pushedDigest(firstOf(image), image)] as const)));
}
