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
 * Pushes every repository side by side, each its first tag first, then its other tags (which
 * then carry only a manifest) side by side; the first push that fails for good stops the others.
 * Returns the manifest digest of each image repository, as the daemon recorded it.
 */
export async function pushAll(images: readonly string[], refs: readonly string[], opts: RegistryCallOptions): Promise<Map<string, string>> {
  const stop = new AbortController();
  opts.signal?.addEventListener('abort', () => stop.abort(opts.signal?.reason), { once: true });
  const pushOne = (ref: string) =>
    push(ref, { ...opts, signal: stop.signal }).catch((err: unknown) => {
      stop.abort(err);
      throw err;
    });
  const digests = new Map<string, string>();
  await Promise.all(
    images.map(async (image) => {
      const [first, ...rest] = refs.filter((r) => r.startsWith(`${image}:`));
      await pushOne(first!);
      await Promise.all(rest.map(pushOne));
      digests.set(image, await pushedDigest(first!, image));
    }),
  );
  return new Map(images.map((i) => [i, digests.get(i)!]));
}
