import { Construct } from 'constructs';
import { ComposeResource, ComposeResourceProps } from './compose-resource';
import { Volume } from './generated/compose-spec';

/** Props of a {@link ComposeVolume}. */
export interface ComposeVolumeProps extends ComposeResourceProps<Volume> {}

/** A named compose volume (persistent data that survives container replacement). */
export class ComposeVolume extends ComposeResource<Volume> {
  public readonly section = 'volumes' as const;

  constructor(scope: Construct, id: string, props: ComposeVolumeProps = {}) {
    super(scope, id, props);
  }
}
