"""The shipped library as files: it deploys the way `jiandu init` deploys it, every user task has its form, and
every diagram is drawn so a person can read it in the modeler (complete DI, no overlaps, shapes in their lanes,
orthogonal edges that go around shapes rather than through them)."""
from __future__ import annotations

import json
from itertools import combinations

import pytest
from click.testing import CliRunner
from lxml import etree

from service import cli, definitions
from service.forms import check_schema, validate_submission
from tests.workflows.conftest import KEYS, WORKFLOWS

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}
FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "userTask", "manualTask", "scriptTask", "serviceTask", "task", "callActivity", "subProcess",
              "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway")
DIAGRAMS = sorted(WORKFLOWS.glob("*.bpmn"))
FORMS = sorted((WORKFLOWS / "forms").glob("*.form"))


def rect(node):
    bounds = node.find("dc:Bounds", NS)
    return tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height"))


def overlaps(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def inside(inner, outer):
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[0] + inner[2] <= outer[0] + outer[2] \
        and inner[1] + inner[3] <= outer[1] + outer[3]


def on_border(point, r, tolerance=1.0):
    x, y = point
    within_x = r[0] - tolerance <= x <= r[0] + r[2] + tolerance
    within_y = r[1] - tolerance <= y <= r[1] + r[3] + tolerance
    near_vertical_side = min(abs(x - r[0]), abs(x - r[0] - r[2])) <= tolerance
    near_horizontal_side = min(abs(y - r[1]), abs(y - r[1] - r[3])) <= tolerance
    return within_x and within_y and (near_vertical_side or near_horizontal_side)


class Diagram:
    def __init__(self, path):
        self.root = etree.parse(str(path)).getroot()
        self.shapes = {s.get("bpmnElement"): s for s in self.root.iterfind(".//bpmndi:BPMNShape", NS)}
        self.edges = {e.get("bpmnElement"): e for e in self.root.iterfind(".//bpmndi:BPMNEdge", NS)}
        self.nodes = {n.get("id"): n for tag in FLOW_NODES for n in self.root.iterfind(f".//bpmn:{tag}", NS)}
        self.lanes = list(self.root.iterfind(".//bpmn:lane", NS))
        self.participants = list(self.root.iterfind(".//bpmn:participant", NS))
        self.flows = list(self.root.iterfind(".//bpmn:sequenceFlow", NS))

    def waypoints(self, flow_id):
        return [(float(w.get("x")), float(w.get("y"))) for w in self.edges[flow_id].iterfind("di:waypoint", NS)]

    def labels(self):
        for element_id, node in list(self.shapes.items()) + list(self.edges.items()):
            label = node.find("bpmndi:BPMNLabel", NS)
            if label is not None and label.find("dc:Bounds", NS) is not None:
                yield element_id, rect(label)


@pytest.fixture(params=DIAGRAMS, ids=lambda p: p.stem)
def diagram(request):
    return Diagram(request.param)


def test_every_element_has_its_shape_or_edge(diagram):
    missing = [i for i in [*diagram.nodes, *(l.get("id") for l in diagram.lanes),
                           *(p.get("id") for p in diagram.participants)] if i not in diagram.shapes]
    assert missing == []
    assert [f.get("id") for f in diagram.flows if f.get("id") not in diagram.edges] == []
    for flow in diagram.flows:
        assert len(diagram.waypoints(flow.get("id"))) >= 2


def test_no_two_flow_node_shapes_overlap(diagram):
    boxes = {i: rect(diagram.shapes[i]) for i in diagram.nodes}
    assert [(a, b) for a, b in combinations(boxes, 2) if overlaps(boxes[a], boxes[b])] == []


def test_every_shape_lies_inside_its_lane_and_every_lane_inside_the_pool(diagram):
    [pool] = diagram.participants
    pool_box = rect(diagram.shapes[pool.get("id")])
    lane_boxes = []
    for lane in diagram.lanes:
        lane_box = rect(diagram.shapes[lane.get("id")])
        assert inside(lane_box, pool_box), lane.get("name")
        lane_boxes.append(lane_box)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert inside(rect(diagram.shapes[ref.text]), lane_box), (lane.get("name"), ref.text)
    assert [(a, b) for a, b in combinations(lane_boxes, 2) if overlaps(a, b)] == []  # lanes stacked
    in_a_lane = {ref.text for lane in diagram.lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    assert set(diagram.nodes) == in_a_lane


def test_edges_are_orthogonal_start_and_end_on_their_shapes_and_pass_no_other_shape(diagram):
    boxes = {i: rect(diagram.shapes[i]) for i in diagram.nodes}
    for flow in diagram.flows:
        points = diagram.waypoints(flow.get("id"))
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert on_border(points[0], boxes[source]) and on_border(points[-1], boxes[target]), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} has a diagonal segment"
            segment = (min(x1, x2), min(y1, y2), abs(x2 - x1) or 0.5, abs(y2 - y1) or 0.5)
            crossed = [i for i, box in boxes.items() if i not in (source, target) and overlaps(segment, box)]
            assert crossed == [], f"{flow.get('id')} runs through {crossed}"


def test_labels_do_not_cover_each_other_or_shapes(diagram):
    labels = dict(diagram.labels())
    boxes = {i: rect(diagram.shapes[i]) for i in diagram.nodes}
    assert [(a, b) for a, b in combinations(labels, 2) if overlaps(labels[a], labels[b])] == []
    assert [(a, b) for a in labels for b in boxes if a != b and overlaps(labels[a], boxes[b])] == []


def test_lanes_are_named_in_chinese_and_carry_their_assignment(diagram):
    for lane in diagram.lanes:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in lane.get("name"))
        prop = lane.find("bpmn:extensionElements/camunda:properties/camunda:property[@name='assignment']", NS)
        has_people = any(diagram.nodes[r.text].tag.endswith("userTask") for r in lane.iterfind("bpmn:flowNodeRef", NS))
        assert (prop is not None and prop.get("value")) or not has_people, lane.get("name")


def test_every_user_task_has_a_form_and_every_form_is_used():
    used = set()
    for path in DIAGRAMS:
        for task in Diagram(path).root.iterfind(".//bpmn:userTask", NS):
            form = task.get(f"{{{NS['camunda']}}}formRef")
            assert form and (WORKFLOWS / "forms" / f"{form}.form").exists(), task.get("id")
            used.add(form)
    assert used == {p.stem for p in FORMS}
    for path in FORMS:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["id"] == path.stem and check_schema(schema) == []


@pytest.mark.parametrize("form, view_key, reasons_key", [
    ("md_member_opinion", "view", "reasons"), ("md_secretary_opinion", "secretary_view", "secretary_reasons")])
def test_reasons_are_required_unless_the_view_is_agreement(form, view_key, reasons_key):
    schema = json.loads((WORKFLOWS / "forms" / f"{form}.form").read_text(encoding="utf-8"))
    for view in ("不同意", "保留意见", "缓议"):
        _, errors = validate_submission(schema, {view_key: view})
        assert reasons_key in errors, view
        clean, errors = validate_submission(schema, {view_key: view, reasons_key: "理由"})
        assert errors == {} and clean == {view_key: view, reasons_key: "理由"}
    clean, errors = validate_submission(schema, {view_key: "同意", reasons_key: "不会被记录"})
    assert errors == {} and clean == {view_key: "同意"}
    _, errors = validate_submission(schema, {view_key: "弃权"})
    assert view_key in errors


def test_rectification_list_is_a_dynamic_list_with_owners_from_the_unit():
    schema = json.loads((WORKFLOWS / "forms" / "sdlm_rectification_list.form").read_text(encoding="utf-8"))
    people = {"unit_people": [{"label": "王红", "value": "wanghong"}]}
    item = {"problem": "问题", "measure": "措施", "owner": "wanghong", "deadline": "2026-05-31"}
    clean, errors = validate_submission(schema, {"rectifications": [item, item]}, context=people)
    assert errors == {} and clean == {"rectifications": [item, item]}
    _, errors = validate_submission(schema, {"rectifications": []}, context=people)
    assert "rectifications" in errors
    _, errors = validate_submission(schema, {"rectifications": [dict(item, owner="stranger", deadline="")]},
                                    context=people)
    assert {"rectifications[0].owner", "rectifications[0].deadline"} <= set(errors)


def test_init_deploys_the_library_once_without_warnings(jd):
    with jd.db.write() as session:
        first = definitions.deploy_directory(session, None, WORKFLOWS)
    assert {d.key for d in first} == KEYS and all(d.created for d in first)
    assert [w for d in first for w in d.warnings] == []
    with jd.db.write() as session:
        again = definitions.deploy_directory(session, None, WORKFLOWS)
    assert not any(d.created for d in again)


def test_the_cli_deploys_every_file(jd, monkeypatch, tmp_path):
    monkeypatch.setenv("JIANDU_DATABASE_URL", jd.settings.database_url)
    monkeypatch.setenv("JIANDU_INSTANCE_PATH", str(tmp_path / "instance"))
    files = [str(p) for p in DIAGRAMS + FORMS]
    result = CliRunner().invoke(cli.main, ["deploy", *files], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for key in KEYS:
        assert f"{key} v1 deployed" in result.output
