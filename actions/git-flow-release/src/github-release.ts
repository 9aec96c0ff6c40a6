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

/** Creates the release (retried on 5xx, 429 and network errors) and returns its page. */
export async function createRelease(token: string, request: ReleaseRequest, signal?: AbortSignal): Promise<string> {
  const github = await import('@actions/github'); // loaded on first use: a faster start
  const octokit = github.getOctokit(token);
  const res = await withRetry(`Creating the GitHub Release ${request.tag_name}`, () => octokit.rest.repos.createRelease({ ...request }), { signal });
  return res.data.html_url;
}
