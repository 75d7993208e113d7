#!/usr/bin/env python3
"""juju-sim's ops conformance charm.

A plain ops charm (public ops API only, run by ops.main as Juju runs any ops charm) that asks
the simulated Kafka and Kafka Connect for a user, receives a CA, reads the secrets the providers
granted, sets statuses, uses hook tools whose features juju-sim does not model, and records what
ops saw in `ops-seen.json` in its charm dir and in the results of its `report` action. The Rust
test harness/juju-sim/tests/ops_conformance.rs asserts what it recorded.
"""

import json
import os
import pathlib

import ops

SEEN = 'ops-seen.json'
REQUESTED_SECRETS = json.dumps(['username', 'password', 'tls', 'tls-ca', 'uris'])


class ConformanceCharm(ops.CharmBase):
    """Records what ops sees in every event it handles."""

    _stored = ops.StoredState()

    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self._stored.set_default(installs=0, upgrades=0, dispatches=0)
        self._stored.dispatches += 1
        seen = self._seen()
        seen.setdefault('dispatches', []).append(os.environ.get('JUJU_DISPATCH_PATH', ''))
        self._save(seen)
        observe = self.framework.observe
        observe(self.on.install, self._on_install)
        observe(self.on.config_changed, self._on_config_changed)
        observe(self.on.upgrade_charm, self._on_upgrade_charm)
        observe(self.on.kafka_relation_created, self._on_kafka_created)
        observe(self.on.connect_relation_created, self._on_connect_created)
        observe(self.on.kafka_relation_changed, self._on_provider_changed)
        observe(self.on.connect_relation_changed, self._on_provider_changed)
        observe(self.on.certificates_relation_changed, self._on_certificates_changed)
        observe(self.on.report_action, self._on_report)

    # What ops saw, kept in the charm dir (which `refresh` must not wipe).

    def _seen_path(self) -> pathlib.Path:
        return pathlib.Path(self.charm_dir) / SEEN

    def _seen(self) -> dict:
        path = self._seen_path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, seen: dict):
        self._seen_path().write_text(json.dumps(seen, indent=1, sort_keys=True))

    def _record(self, **values):
        seen = self._seen()
        seen.update(values)
        self._save(seen)

    # Events.

    def _on_install(self, _event: ops.InstallEvent):
        self._stored.installs += 1
        self.unit.status = ops.MaintenanceStatus('installing')

    def _on_config_changed(self, _event: ops.ConfigChangedEvent):
        self.unit.status = ops.ActiveStatus('unit ready')
        self.unit.set_workload_version('1.2.3')
        self.unit.open_port('tcp', 8080)
        message = str(self.config.get('app-status', ''))
        if message and self.unit.is_leader():
            self.app.status = ops.BlockedStatus(message)

    def _on_upgrade_charm(self, _event: ops.UpgradeCharmEvent):
        self._stored.upgrades += 1

    def _on_kafka_created(self, event: ops.RelationCreatedEvent):
        if self.unit.is_leader():
            event.relation.data[self.app].update({
                'topic': 'ops-topic',
                'extra-user-roles': 'admin',
                'requested-secrets': REQUESTED_SECRETS,
            })

    def _on_connect_created(self, event: ops.RelationCreatedEvent):
        if self.unit.is_leader():
            event.relation.data[self.app].update({
                'plugin-url': 'NOT-REQUIRED',
                'requested-secrets': REQUESTED_SECRETS,
            })

    def _on_provider_changed(self, event: ops.RelationChangedEvent):
        if event.app is None:
            return
        data = event.relation.data[event.app]
        uri = data.get('secret-user')
        if not uri:
            return
        # The provider app owns the secret and granted it to the relation.
        content = self.model.get_secret(id=uri).get_content()
        name = event.relation.name
        self._record(**{
            f'{name}-secret-uri': uri,
            f'{name}-username': content.get('username', ''),
            f'{name}-password-length': len(content.get('password', '')),
            f'{name}-endpoints': data.get('endpoints', ''),
        })

    def _on_certificates_changed(self, event: ops.RelationChangedEvent):
        if event.app is None:
            return
        raw = event.relation.data[event.app].get('certificates')
        if raw:
            first = json.loads(raw)[0]
            self._record(**{'ca-first-line': first.splitlines()[0]})

    def _on_report(self, event: ops.ActionEvent):
        event.log('reporting what ops saw')
        results = {
            'unit-status': f'{self.unit.status.name}:{self.unit.status.message}',
            'planned-units': self.app.planned_units(),
            'stored-installs': self._stored.installs,
            'stored-upgrades': self._stored.upgrades,
            'stored-dispatches': self._stored.dispatches,
            'ingress-address': str(self.model.get_binding('kafka').network.ingress_address),
            'opened-ports': ','.join(
                f'{p.port}/{p.protocol}' for p in sorted(self.unit.opened_ports(), key=str)
            ),
        }
        if self.unit.is_leader():
            status = self.app.status
            results['app-status'] = f'{status.name}:{status.message}'
        try:
            self.model.resources.fetch('blob')
            results['resource-error'] = 'none'
        except ops.ModelError as e:
            results['resource-error'] = str(e).strip()
        try:
            self.model.get_cloud_spec()
            results['cloud-spec-error'] = 'none'
        except ops.ModelError as e:
            results['cloud-spec-error'] = str(e).strip()
        seen = self._seen()
        for key in ('kafka-username', 'connect-username', 'ca-first-line'):
            results[key] = seen.get(key, 'unseen')
        event.set_results(results)


if __name__ == '__main__':
    ops.main(ConformanceCharm)
