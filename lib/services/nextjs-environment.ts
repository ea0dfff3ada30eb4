import type { Construct } from 'constructs';
import type { ServiceConfig } from '../../config';
import { appSecrets } from './app-secrets';
import type { Wiring } from './wiring';

/** The port a Next.js server listens on unless config names another. */
export const NEXTJS_PORT = 3000;

/** Properties of {@link nextjsWiring}. */
export interface NextjsWiringProps {
  /**
   * The service: its port, its own `environment` (host references already expanded), which
   * comes last and wins, and its app secrets.
   */
  readonly service: Pick<ServiceConfig, 'port' | 'environment' | 'secrets'>;
  /** The service's own host name (`SITE_URL`). */
  readonly host: string;
  /**
   * The host name of the stage's Laravel API (`API_BASE_URL`).
   *
   * @default - no `API_BASE_URL` (a stage with no Laravel web service, or more than one)
   */
  readonly apiHost?: string;
}

/**
 * The environment of a Next.js server: production mode on its port, its own public URL and the
 * stage's API, plus config's own and its secrets, owned by `scope`. These are read on the server
 * at run time (`NEXT_PUBLIC_*` would be baked into the image at build time; see the image
 * contract).
 */
export function nextjsWiring(scope: Construct, props: NextjsWiringProps): Wiring {
  const { service } = props;
  const environment: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(service.port ?? NEXTJS_PORT),
    HOSTNAME: '0.0.0.0',
    NEXT_TELEMETRY_DISABLED: '1',
    SITE_URL: `https://${props.host}`,
  };
  // Laravel serves routes/api.php under /api.
  if (props.apiHost) environment.API_BASE_URL = `https://${props.apiHost}/api`;
  Object.assign(environment, service.environment);
  const own = appSecrets(service.secrets ?? {}, scope);
  return { environment, secrets: own.secrets, grant: () => undefined, grantExecution: own.grantExecution };
}
