import { CONSUMABLE_MODELS, DURABLE_MODELS, GRANT_BOUND_MODELS } from '../../../src/storage/model-names.js';
import { readProviderModels } from '../../support/provider-models.js';

// The adapters route each model by these lists; a model the library adds to what it consumes or
// binds to grants must fail here, before it fails a user (a PAR sign-in once ended in a 500).
describe('the storage model lists follow the installed oidc-provider', () => {
  const models = readProviderModels();

  it('treats exactly the models with a consume() method as consumable', () => {
    expect([...CONSUMABLE_MODELS].sort()).toEqual(models.consumable);
    expect(models.consumable).toEqual(expect.arrayContaining(['AuthorizationCode', 'RefreshToken', 'PushedAuthorizationRequest']));
  });

  it('indexes exactly the tokens that carry a grantId under their grant', () => {
    expect([...GRANT_BOUND_MODELS].sort()).toEqual(models.grantBound);
  });

  it('keeps only models the provider persists in MongoDB', () => {
    for (const model of DURABLE_MODELS) expect(models.persisted).toContain(model);
  });
});
