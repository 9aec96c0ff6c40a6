/**
 * The pipeline templates run end to end on examples/notes-service (test/support/pipeline-tests.ts):
 * Python and Redis where auth-service is TypeScript and MariaDB, from the same template files.
 */
import { NOTES_SERVICE } from '../../scripts/pipeline-examples';
import { pipelineTests } from '../support/pipeline-tests';

pipelineTests(NOTES_SERVICE);
