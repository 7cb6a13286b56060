import { SigningError } from './sign.types.js';
import type { Predicate } from './statement.js';

type Env = Record<string, string | undefined>;

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** npm still writes GitLab provenance as SLSA v0.2; we write the same, so one verifier reads both. */
export const SLSA_PROVENANCE_V0_2 = 'https://slsa.dev/provenance/v0.2';
export const PKGSEAL_PUBLISH_V1 = 'https://pkgseal.dev/publish/v1';

const GITHUB_BUILD_TYPE = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1';
const GITHUB_BUILDER_ID_PREFIX = 'https://github.com/actions/runner';
const GITLAB_BUILD_TYPE = 'https://github.com/npm/cli/gitlab/v0alpha1';

const GITHUB_REQUIRED = [
  'GITHUB_SERVER_URL', 'GITHUB_REPOSITORY', 'GITHUB_WORKFLOW_REF', 'GITHUB_REF', 'GITHUB_SHA',
  'GITHUB_EVENT_NAME', 'GITHUB_RUN_ID', 'GITHUB_RUN_ATTEMPT', 'RUNNER_ENVIRONMENT',
] as const;

const GITLAB_REQUIRED = ['CI_PROJECT_URL', 'CI_RUNNER_ID', 'CI_COMMIT_SHA', 'CI_JOB_NAME', 'CI_JOB_URL'] as const;

/** The job variables npm/cli (libnpmpublish) records as GitLab build parameters, in its order. */
const GITLAB_PARAMETERS = [
  'CI', 'CI_API_GRAPHQL_URL', 'CI_API_V4_URL', 'CI_BUILD_BEFORE_SHA', 'CI_BUILD_ID', 'CI_BUILD_NAME',
  'CI_BUILD_REF', 'CI_BUILD_REF_NAME', 'CI_BUILD_REF_SLUG', 'CI_BUILD_STAGE', 'CI_COMMIT_BEFORE_SHA',
  'CI_COMMIT_BRANCH', 'CI_COMMIT_REF_NAME', 'CI_COMMIT_REF_PROTECTED', 'CI_COMMIT_REF_SLUG', 'CI_COMMIT_SHA',
  'CI_COMMIT_SHORT_SHA', 'CI_COMMIT_TIMESTAMP', 'CI_COMMIT_TITLE', 'CI_CONFIG_PATH', 'CI_DEFAULT_BRANCH',
  'CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX', 'CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX',
  'CI_DEPENDENCY_PROXY_SERVER', 'CI_DEPENDENCY_PROXY_USER', 'CI_JOB_ID', 'CI_JOB_NAME', 'CI_JOB_NAME_SLUG',
  'CI_JOB_STAGE', 'CI_JOB_STARTED_AT', 'CI_JOB_URL', 'CI_NODE_TOTAL', 'CI_PAGES_DOMAIN', 'CI_PAGES_URL',
  'CI_PIPELINE_CREATED_AT', 'CI_PIPELINE_ID', 'CI_PIPELINE_IID', 'CI_PIPELINE_SOURCE', 'CI_PIPELINE_URL',
  'CI_PROJECT_CLASSIFICATION_LABEL', 'CI_PROJECT_DESCRIPTION', 'CI_PROJECT_ID', 'CI_PROJECT_NAME',
  'CI_PROJECT_NAMESPACE', 'CI_PROJECT_NAMESPACE_ID', 'CI_PROJECT_PATH', 'CI_PROJECT_PATH_SLUG',
  'CI_PROJECT_REPOSITORY_LANGUAGES', 'CI_PROJECT_ROOT_NAMESPACE', 'CI_PROJECT_TITLE', 'CI_PROJECT_URL',
  'CI_PROJECT_VISIBILITY', 'CI_REGISTRY', 'CI_REGISTRY_IMAGE', 'CI_REGISTRY_USER', 'CI_RUNNER_DESCRIPTION',
  'CI_RUNNER_ID', 'CI_RUNNER_TAGS', 'CI_SERVER_HOST', 'CI_SERVER_NAME', 'CI_SERVER_PORT', 'CI_SERVER_PROTOCOL',
  'CI_SERVER_REVISION', 'CI_SERVER_SHELL_SSH_HOST', 'CI_SERVER_SHELL_SSH_PORT', 'CI_SERVER_URL',
  'CI_SERVER_VERSION', 'CI_SERVER_VERSION_MAJOR', 'CI_SERVER_VERSION_MINOR', 'CI_SERVER_VERSION_PATCH',
  'CI_TEMPLATE_REGISTRY_HOST', 'GITLAB_CI', 'GITLAB_FEATURES', 'GITLAB_USER_ID', 'GITLAB_USER_LOGIN',
  'RUNNER_GENERATE_ARTIFACTS_METADATA',
] as const;

/**
 * The predicate for a tarball signed now: SLSA provenance with the fields npm writes in GitHub
 * Actions and GitLab CI, else a minimal publish predicate. Pure: environment, pkgseal's own
 * version and the time in, predicate out. The predicate is unsigned claims about the build;
 * policies read identities from the certificate, never from here.
 */
export function buildPredicate(env: Env, pkgseal: { version: string }, publishedAt: Date): Predicate {
  if (env.GITHUB_ACTIONS === 'true') return githubActionsPredicate(env);
  if (env.GITLAB_CI === 'true') return gitlabPredicate(env);
  return publishPredicate(pkgseal, publishedAt);
}

/** SLSA provenance v1, GitHub Actions workflow build type, as npm/cli writes it. */
export function githubActionsPredicate(env: Env): Predicate {
  const vars = requireVariables(env, GITHUB_REQUIRED, 'GitHub Actions');
  const repositoryURL = `${vars.GITHUB_SERVER_URL}/${vars.GITHUB_REPOSITORY}`;
  const { path, ref } = splitWorkflowRef(vars.GITHUB_WORKFLOW_REF, vars.GITHUB_REPOSITORY);
  return {
    type: SLSA_PROVENANCE_V1,
    body: {
      buildDefinition: {
        buildType: GITHUB_BUILD_TYPE,
        externalParameters: { workflow: { ref, repository: repositoryURL, path } },
        internalParameters: {
          github: {
            event_name: vars.GITHUB_EVENT_NAME,
            repository_id: env.GITHUB_REPOSITORY_ID,
            repository_owner_id: env.GITHUB_REPOSITORY_OWNER_ID,
          },
        },
        resolvedDependencies: [{ uri: `git+${repositoryURL}@${vars.GITHUB_REF}`, digest: { gitCommit: vars.GITHUB_SHA } }],
      },
      runDetails: {
        builder: { id: `${GITHUB_BUILDER_ID_PREFIX}/${vars.RUNNER_ENVIRONMENT}` },
        metadata: { invocationId: `${repositoryURL}/actions/runs/${vars.GITHUB_RUN_ID}/attempts/${vars.GITHUB_RUN_ATTEMPT}` },
      },
    },
  };
}

/** SLSA provenance v0.2 with npm/cli's GitLab build type and fields. */
export function gitlabPredicate(env: Env): Predicate {
  const vars = requireVariables(env, GITLAB_REQUIRED, 'GitLab CI');
  const source = { uri: `git+${vars.CI_PROJECT_URL}`, digest: { sha1: vars.CI_COMMIT_SHA } };
  return {
    type: SLSA_PROVENANCE_V0_2,
    body: {
      buildType: GITLAB_BUILD_TYPE,
      builder: { id: `${vars.CI_PROJECT_URL}/-/runners/${vars.CI_RUNNER_ID}` },
      invocation: {
        configSource: { ...source, entryPoint: vars.CI_JOB_NAME },
        parameters: Object.fromEntries(GITLAB_PARAMETERS.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]]))),
        environment: {
          name: env.CI_RUNNER_DESCRIPTION,
          architecture: env.CI_RUNNER_EXECUTABLE_ARCH,
          server: env.CI_SERVER_URL,
          project: env.CI_PROJECT_PATH,
          job: { id: env.CI_JOB_ID },
          pipeline: { id: env.CI_PIPELINE_ID, ref: env.CI_CONFIG_PATH },
        },
      },
      metadata: {
        buildInvocationId: vars.CI_JOB_URL,
        completeness: { parameters: true, environment: true, materials: false },
        reproducible: false,
      },
      materials: [source],
    },
  };
}

/** Outside CI: who published with what, and when. */
export function publishPredicate(pkgseal: { version: string }, publishedAt: Date): Predicate {
  return { type: PKGSEAL_PUBLISH_V1, body: { tool: 'pkgseal', version: pkgseal.version, publishedAt: publishedAt.toISOString() } };
}

function requireVariables<Name extends string>(env: Env, names: readonly Name[], ci: string): Record<Name, string> {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new SigningError(`${ci} provenance needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set`);
  }
  return Object.fromEntries(names.map((name) => [name, env[name]!])) as Record<Name, string>;
}

/** `acme/lib/.github/workflows/release.yml@refs/tags/v1` → path and ref, relative to the repository. */
function splitWorkflowRef(workflowRef: string, repository: string): { path: string; ref: string } {
  const prefix = `${repository}/`;
  const at = workflowRef.indexOf('@');
  if (!workflowRef.startsWith(prefix) || at < 0) {
    throw new SigningError(`GITHUB_WORKFLOW_REF ${workflowRef} is not <repository>/<path>@<ref> for ${repository}`);
  }
  return { path: workflowRef.slice(prefix.length, at), ref: workflowRef.slice(at + 1) };
}
