import topologyDocument from '../infra/topology.json';
import { parseTopology, type Topology } from './domain/topology';

/** The deployed topology (tiers, topics, subscriptions), read from infra/topology.json: its single source. */
export const topology: Topology = parseTopology(topologyDocument);
