// `env.COUNTER`, a Durable Object namespace: ids as workerd makes them
// (from a name, at random, or from their string, checked to belong to
// this namespace), and stubs whose `fetch()` and RPC calls reach the one
// object of an id, wherever the host runs it (`mod.rs` beside this file).

import {
  op_do_check_id,
  op_do_id_from_name,
  op_do_new_unique_id,
} from "ext:core/ops";
import { primordials } from "ext:isola_global_scope/00_infra.js";
import { registerBinding } from "ext:isola_global_scope/40_env.js";
import { objectStub } from "ext:isola_services/service.js";
import { DurableObjectId } from "ext:isola_durable_objects/objects.js";

const { Error, String, TypeError } = primordials;

class DurableObjectNamespace {
  #binding;

  constructor(binding) {
    this.#binding = binding;
  }

  idFromName(name) {
    name = String(name);
    return new DurableObjectId(op_do_id_from_name(this.#binding, name), name);
  }

  newUniqueId(options = undefined) {
    if (options?.jurisdiction !== undefined) {
      throw new Error("Jurisdiction restrictions are not implemented in workerd.");
    }
    return new DurableObjectId(op_do_new_unique_id(this.#binding), null);
  }

  idFromString(id) {
    id = String(id);
    op_do_check_id(this.#binding, id);
    return new DurableObjectId(id.toLowerCase(), null);
  }

  get(id, _options = undefined) {
    if (!(id instanceof DurableObjectId)) {
      throw new TypeError("get() takes a DurableObjectId.");
    }
    return objectStub(this.#binding, id);
  }

  getByName(name, options = undefined) {
    return this.get(this.idFromName(name), options);
  }

  jurisdiction(jurisdiction) {
    if (jurisdiction !== undefined) {
      throw new Error("Jurisdiction restrictions are not implemented in workerd.");
    }
    return this;
  }
}

registerBinding("durable_object_namespace", (name) => new DurableObjectNamespace(name));
