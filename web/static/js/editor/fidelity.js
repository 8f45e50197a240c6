/* Keeping foreign diagrams as they were: a file opened and saved by the editor must deploy exactly as before.
 *
 * bpmn-moddle 10 loses two things SpiffWorkflow reads:
 *  1. `<bpmn:messagePath>` (correlation retrieval), `<bpmn:dataPath>` (correlation binding) and a complex
 *     behaviour's `<bpmn:condition>` are written back as `<bpmn:formalExpression>`, which the BPMN schema then
 *     rejects: their property descriptors lack `xml.serialize = "property"` (every sibling property has it).
 *  2. A reference it cannot resolve to an element — SpiffWorkflow's `<bpmn:loopDataInputRef>items</…>` names a
 *     process variable, not an element id — is dropped on import (with an "unresolved reference" warning) and so
 *     missing on save, turning a working multi-instance task into an invalid one.
 *  3. A carriage return in a name (`name="Prepare&#xD;&#xA;Bank"`, as Signavio writes line breaks) is written back
 *     raw, and an XML parser turns a raw CR in an attribute into a space: the task's name changes.
 * We add the missing descriptors once, after each import put every dropped reference back as a stub carrying only
 * the id (references are written as ids), except those that only place shapes on the canvas, and escape raw CRs
 * in the serialized XML (outside CDATA sections, where a character reference would not be read as one). */

const PROPERTY_SERIALIZED = [
  ['bpmn:CorrelationPropertyRetrievalExpression', 'messagePath'],
  ['bpmn:CorrelationPropertyBinding', 'dataPath'],
  ['bpmn:ComplexBehaviorDefinition', 'condition'],
];

// References that only wire up the drawing; a stub there would confuse modeling, and bpmn-js draws without them.
const DRAWING_REFERENCES = new Set(['sourceRef', 'targetRef', 'attachedToRef', 'processRef', 'bpmnElement',
                                    'flowNodeRef', 'default']);

export function keepCarriageReturns(eventBus) {
  eventBus.on('saveXML.serialized', ({ xml }) => xml.split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part, index) => (index % 2 ? part : part.replace(/\r/g, '&#13;'))).join(''));
}

export function patchModdle(moddle) {
  PROPERTY_SERIALIZED.forEach(([type, name]) => {
    const descriptor = moddle.getType(type).$descriptor.propertiesByName[name];
    if (descriptor && !(descriptor.xml && descriptor.xml.serialize)) {
      descriptor.xml = Object.assign({}, descriptor.xml, { serialize: 'property' });
    }
  });
}

/** Put back references bpmn-js dropped on import. Returns the warnings that remain lossy. */
export function restoreReferences(moddle, warnings) {
  const lossy = [];
  (warnings || []).forEach((warning) => {
    const { element, property, value } = warning;
    const name = property ? String(property).split(':').pop() : '';
    const unresolved = /^unresolved reference/.test(warning.message || '');
    if (!unresolved || !element || !property || !value || DRAWING_REFERENCES.has(name) || !element.$descriptor) {
      if (!unresolved || !DRAWING_REFERENCES.has(name)) { lossy.push(warning); }
      return;
    }
    const descriptor = element.$descriptor.propertiesByName[property];
    if (!descriptor) { lossy.push(warning); return; }
    let stub;
    try {
      stub = moddle.create(descriptor.type, { id: value });
    } catch (err) {
      stub = moddle.create('bpmn:BaseElement', { id: value });
    }
    if (descriptor.isMany) {
      element.get(property).push(stub);
    } else {
      element.set(property, stub);
    }
  });
  return lossy;
}
