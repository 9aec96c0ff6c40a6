/** The pipeline templates run end to end on examples/auth-service (test/support/pipeline-tests.ts). */
import { AUTH_SERVICE } from '../../scripts/pipeline-examples';
import { pipelineTests } from '../support/pipeline-tests';

pipelineTests(AUTH_SERVICE);
