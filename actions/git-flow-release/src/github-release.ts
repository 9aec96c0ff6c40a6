/** An optional GitHub Release for a finished version, through @actions/github. */
import semver from 'semver';
import { withRetry } from '../../shared/retry';

export interface ReleaseRequest {
  owner: string;
  repo: string;
  tag_name: string;
  name: string;
  body: string;
  prerelease: boolean;
}

/** Pure: the createRelease request for a tag. */
export function releaseRequest(repository: string, tag: string, version: string, notes: string): ReleaseRequest {
  const [owner = '', repo = ''] = repository.split('/');
  return { owner, repo, tag_name: tag, name: tag, body: notes || `Release ${version}`, prerelease: Boolean(semver.prerelease(version)) };
}

/**
 * Creates the release (retried on 5xx, 429 and network errors) and returns its page. A release
 * of the tag that exists already (a re-run) is returned as it is.
 */
export async function createRelease(token: string, request: ReleaseRequest, signal?: AbortSignal): Promise<string> {
  const github = await import('@actions/github'); // loaded on first use: a faster start
  const octokit = github.getOctokit(token);
  const what = `Creating the GitHub Release ${request.tag_name}`;
  try {
    return (await withRetry(what, () => octokit.rest.repos.createRelease({ ...request }), { signal })).data.html_url;
  } catch (err) {
    const e = err as { status?: number; response?: { data?: { errors?: { code?: string }[] } } };
    if (e.status !== 422 || !e.response?.data?.errors?.some((x) => x.code === 'already_exists')) throw err;
    const { owner, repo, tag_name: tag } = request;
    return (await withRetry(`Reading the GitHub Release ${tag}`, () => octokit.rest.repos.getReleaseByTag({ owner, repo, tag }), { signal })).data.html_url;
  }
}
