/**
 * The example services the pipeline runs on (the demo and its end-to-end tests), as a team
 * adopting the templates would describe theirs: the same template files, only these
 * repository variables and the service's own files differ.
 */
export interface Example {
  /** Its folder under examples/, and its repository's name. */
  name: string;
  /** A short name for its stacks and records. */
  short: string;
  /** The compose service that runs the image, and its port (the load balancer's backend). */
  service: string;
  port: number;
  /** The file git-flow sets the version in, as the service keeps it. */
  versionFile: 'package.json' | 'VERSION';
  /** The repository variables only this service has (README: "Adopting Drover for your service"). */
  variables: (id: string) => Record<string, string>;
  /** A stack of state deployed once per environment, outside the blue and green stacks (its compose file). */
  state?: string;
  /** Deploys reach the test bed's three-node swarm as a hosted runner does, over SSH (SWARM_HOST and its key), not the runner's own engine. */
  overSsh?: boolean;
}

export const AUTH_SERVICE: Example = {
  name: 'auth-service',
  short: 'auth',
  service: 'auth-service',
  port: 9000,
  versionFile: 'package.json',
  variables: (id) => ({ SERVICES: 'auth-service', IMAGE_VARIABLE: 'AUTH_IMAGE', VERSION_VARIABLE: 'auth_version', BUILDER_IMAGE: `auth-builder:pipeline-${id}` }),
};

export const NOTES_SERVICE: Example = {
  name: 'notes-service',
  short: 'notes',
  service: 'notes',
  port: 8080,
  versionFile: 'VERSION',
  variables: (id) => ({ SERVICES: 'notes', IMAGE_VARIABLE: 'NOTES_IMAGE', BUILDER_IMAGE: `notes-builder:pipeline-${id}` }),
  state: 'swarm/redis.yml',
  overSsh: true,
};
