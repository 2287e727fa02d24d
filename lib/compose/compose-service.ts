import { Construct } from 'constructs';
import { ComposeResource, ComposeResourceProps } from './compose-resource';
import { Service } from './generated/compose-spec';

/** Props of a {@link ComposeService}. */
export interface ComposeServiceProps extends ComposeResourceProps<Service> {}

/** A compose service (one container definition), typed from the Compose Specification. */
export class ComposeService extends ComposeResource<Service> {
  public readonly section = 'services' as const;

  constructor(scope: Construct, id: string, props: ComposeServiceProps = {}) {
    super(scope, id, props);
  }
}
