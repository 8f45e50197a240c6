/* Reading and writing what Jiandu keeps in the diagram: a lane's `assignment` extension property
 * (<camunda:properties><camunda:property name="assignment" value="…"/>) and a task's camunda:formRef.
 * Changes go through the command stack, so they can be undone like any other edit. */

export const ASSIGNMENT = 'assignment';

function extensionValues(bo, type) {
  const ext = bo.get('extensionElements');
  return ext ? ext.get('values').filter((v) => v.$instanceOf(type)) : [];
}

function assignmentProperty(bo) {
  for (const properties of extensionValues(bo, 'camunda:Properties')) {
    const found = properties.get('values').find((p) => p.name === ASSIGNMENT);
    if (found) {
      return { properties, property: found };
    }
  }
  return { properties: extensionValues(bo, 'camunda:Properties')[0] || null, property: null };
}

export function getAssignment(element) {
  const { property } = assignmentProperty(element.businessObject);
  return property ? (property.value || '') : '';
}

export function setAssignment(modeler, element, value) {
  const bpmnFactory = modeler.get('bpmnFactory');
  const commandStack = modeler.get('commandStack');
  const bo = element.businessObject;
  const update = (moddleElement, properties) => ({
    cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties },
  });
  const commands = [];
  value = (value || '').trim();
  let { properties, property } = assignmentProperty(bo);
  if (!value) {
    if (property) {
      commands.push(update(properties, { values: properties.get('values').filter((p) => p !== property) }));
    }
  } else if (property) {
    commands.push(update(property, { value }));
  } else {
    let ext = bo.get('extensionElements');
    if (!ext) {
      ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
      ext.$parent = bo;
      commands.push(update(bo, { extensionElements: ext }));
    }
    if (!properties) {
      properties = bpmnFactory.create('camunda:Properties', { values: [] });
      properties.$parent = ext;
      commands.push(update(ext, { values: [...ext.get('values'), properties] }));
    }
    property = bpmnFactory.create('camunda:Property', { name: ASSIGNMENT, value });
    property.$parent = properties;
    commands.push(update(properties, { values: [...properties.get('values'), property] }));
  }
  if (commands.length) {
    commandStack.execute('properties-panel.multi-command-executor', commands);
  }
}

export function getFormRef(element) {
  return element.businessObject.get('camunda:formRef') || '';
}

/** camunda-bpmn-js-behaviors clears camunda:formKey (and sets the binding) when formRef changes. */
export function setFormRef(modeler, element, formId) {
  modeler.get('modeling').updateModdleProperties(element, element.businessObject, {
    'camunda:formRef': formId || undefined,
  });
}

export function takesForm(element) {
  const type = element && element.type;
  return type === 'bpmn:UserTask' || type === 'bpmn:StartEvent' || type === 'bpmn:ManualTask';
}

/** The key the server deploys under (service/bpmn/inspect.py main_key, then the first process). */
export function processKey(definitions) {
  const processes = definitions.get('rootElements').filter((e) => e.$instanceOf('bpmn:Process'));
  const executable = processes.filter((p) => p.isExecutable);
  const collaboration = definitions.get('rootElements').find((e) => e.$instanceOf('bpmn:Collaboration'));
  if (collaboration) {
    const refs = (collaboration.get('participants') || []).map((p) => p.processRef).filter((p) => p && executable.includes(p));
    if (refs.length > 1) {
      return collaboration.id;
    }
  }
  const called = new Set();
  const walk = (node) => {
    (node.get ? node.get('flowElements') || [] : []).forEach((el) => {
      if (el.$instanceOf('bpmn:CallActivity') && el.calledElement) { called.add(el.calledElement); }
      if (el.$instanceOf('bpmn:SubProcess')) { walk(el); }
    });
  };
  processes.forEach(walk);
  const main = executable.find((p) => !called.has(p.id)) || executable[0] || processes[0];
  return main ? main.id : null;
}

/** The name shown in the toolbar: the main process's (or its pool's) name. */
export function processName(definitions, key) {
  const roots = definitions.get('rootElements');
  const process = roots.find((e) => e.id === key);
  if (process && process.name) { return process.name; }
  const collaboration = roots.find((e) => e.$instanceOf('bpmn:Collaboration'));
  const participant = collaboration && (collaboration.get('participants') || []).find((p) => p.processRef && p.processRef.id === key);
  return (participant && participant.name) || key;
}
