import { Construct } from 'constructs';
import { ComposeResource, ComposeResourceProps } from './compose-resource';
import { Secret } from './generated/compose-spec';

/** Props of a {@link ComposeSecret}. */
export interface ComposeSecretProps extends ComposeResourceProps<Secret> {}

/** A compose secret: a file mounted under /run/secrets, never an environment value. */
export class ComposeSecret extends ComposeResource<Secret> {
  public readonly section = 'secrets' as const;

  constructor(scope: Construct, id: string, props: ComposeSecretProps = {}) {
    super(scope, id, props);
  }
}
